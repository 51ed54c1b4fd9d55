// The scalars of an optimizer step (begin_step in core/step_coefficients.hpp) against their
// formulas with a pow at every step, as torch computes them (1 - beta ** step in Python
// floats): bit for bit, for every step up to far past the point where begin_step stops
// computing powers (the bias corrections are exactly 1.0 there) and for betas from 0.1 to
// 1 - 1e-5, so that skipping and remembering powers never changes a result.
//
// Built and run by tests/test_trainer_cpp.py; prints one line per failed check.
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/optimizers.hpp"

using namespace pygdx;

namespace {

int failures = 0;

void expect_same(const char* what, Rule rule, double beta1, double beta2, double t, double got, double want) {
    if (!(got == want || (std::isnan(got) && std::isnan(want)))) {
        if (++failures <= 20) {
            std::printf("FAILED %s, rule %d, betas (%.17g, %.17g), step %.0f: %.17g != %.17g\n", what,
                        static_cast<int>(rule), beta1, beta2, t, got, want);
        }
    }
}

void check(Rule rule, double beta1, double beta2, double steps, double momentum_decay = 4e-3) {
    Hyper h;
    h.rule = rule;
    h.beta1 = beta1;
    h.beta2 = beta2;
    h.momentum_decay = momentum_decay;
    Schedule schedule;
    schedule.lr = 0.01;
    double counters[n_counters] = {0.0, 1.0};
    double mu_product = 1.0;
    for (double t = 1.0; t <= steps; t += 1.0) {
        const StepCoefficients c = begin_step(h, schedule, counters);
        const double bc1 = 1.0 - std::pow(beta1, t);
        const double bc2 = 1.0 - std::pow(beta2, t);
        expect_same("bias_correction1", rule, beta1, beta2, t, c.bias_correction1, bc1);
        expect_same("bias_correction2", rule, beta1, beta2, t, c.bias_correction2, bc2);
        expect_same("bias_correction2_sqrt", rule, beta1, beta2, t, c.bias_correction2_sqrt, std::sqrt(bc2));
        if (rule == Rule::nadam) {
            const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, t * h.momentum_decay));
            const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * h.momentum_decay));
            mu_product *= mu;
            expect_same("nadam_grad_coef", rule, beta1, beta2, t, c.nadam_grad_coef, 0.01 * (1.0 - mu) / (1.0 - mu_product));
            expect_same("nadam_avg_coef", rule, beta1, beta2, t, c.nadam_avg_coef,
                        0.01 * mu_next / (1.0 - mu_product * mu_next));
        }
        if (rule == Rule::radam) {
            const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
            const double rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / bc2;
            const double rect = rho_t > 5.0 ? std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                                        ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                                            : 0.0;
            expect_same("radam_rect", rule, beta1, beta2, t, c.radam_rect, rect);
        }
    }
}

}  // namespace

int main() {
    const double betas[][2] = {{0.9, 0.999}, {0.1, 0.5}, {0.5, 0.9999}, {0.99, 0.99999}, {0.0, 0.999}};
    for (const auto& b : betas) {
        for (Rule rule : {Rule::adam, Rule::adamw, Rule::adamax, Rule::nadam, Rule::radam}) {
            check(rule, b[0], b[1], 60000.0);
        }
    }
    // NAdam's momentum factor becomes exactly 1 (no pow) once 0.96^(t psi) <= 2^-56: past step
    // 19,000 with psi = 0.05; RAdam's rho_t settles at rho_inf after about 43,000 steps with
    // beta2 = 0.999 (above) and 4,400 with 0.99
    check(Rule::nadam, 0.9, 0.999, 30000.0, 0.05);
    check(Rule::radam, 0.9, 0.99, 10000.0);
    check(Rule::radam, 0.9, 0.6, 200.0);
    // two optimizers stepping in turn on one thread (the remembered powers are per thread)
    Hyper a, b;
    a.rule = b.rule = Rule::nadam;
    b.beta1 = 0.8;
    b.momentum_decay = 0.01;
    Schedule s;
    double ca[n_counters] = {0.0, 1.0}, cb[n_counters] = {0.0, 1.0}, pa = 1.0, pb = 1.0;
    for (double t = 1.0; t <= 2000.0; t += 1.0) {
        for (int which = 0; which < 2; ++which) {
            const Hyper& h = which == 0 ? a : b;
            double& product = which == 0 ? pa : pb;
            const StepCoefficients c = begin_step(h, s, which == 0 ? ca : cb);
            const double mu = h.beta1 * (1.0 - 0.5 * std::pow(0.96, t * h.momentum_decay));
            const double mu_next = h.beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * h.momentum_decay));
            product *= mu;
            expect_same("interleaved nadam_avg_coef", h.rule, h.beta1, h.beta2, t, c.nadam_avg_coef,
                        s.lr * mu_next / (1.0 - product * mu_next));
            expect_same("interleaved bias_correction2", h.rule, h.beta1, h.beta2, t, c.bias_correction2,
                        1.0 - std::pow(h.beta2, t));
        }
    }
    if (failures == 0) {
        std::printf("all step coefficient checks passed\n");
    }
    return failures == 0 ? 0 : 1;
}
