// A parser of svmlight / libsvm text into the arrays of a CSR matrix.
//
// One line per row: `label [qid:Q] index:value index:value ... [# comment]`, the label a
// real number (+1 and -1 included), indices increasing along the line. Blank lines and
// comment lines are skipped; a line may end in CRLF; tokens are separated by any of the
// whitespace bytes Python's bytes.split() knows, so that this reads exactly the files
// scikit-learn's load_svmlight_file reads and gives the same arrays.
//
// The text arrives in chunks of any size (a file read block by block, or decompressed
// blocks of a .gz file): a line cut by a chunk boundary is kept until its end arrives, so
// memory beyond the output is one chunk, never the whole file. The first malformed token
// ends the parse with SvmlightFormatError naming its line (1-based, counting every line of
// the text) and quoting the token with unprintable bytes escaped: a truncated line, binary
// junk, a bad number, a non-finite value, an index that is negative, 0 in a one-based file,
// not increasing, or too large for any weight vector.
//
// Numbers are read by std::from_chars (no locale, no allocation, correctly rounded as
// Python's float() is), integers by a plain digit loop: hundreds of MB/s on one core.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace pygdx {

// How the file counts features: from 0, from 1 (libsvm's convention), or "auto" as
// scikit-learn decides it: one-based unless some index is 0.
enum class IndexBase { zero, one, automatic };

inline IndexBase index_base_from_name(const std::string& name) {
    if (name == "zero") return IndexBase::zero;
    if (name == "one") return IndexBase::one;
    if (name == "auto") return IndexBase::automatic;
    throw std::invalid_argument("index base must be 'zero', 'one' or 'auto', got '" + name + "'");
}

// Indices above this are refused: a weight vector that long (2^40 float32 values, 4 TiB)
// fits in no machine, so such an index is a damaged file, not a feature.
inline constexpr std::int64_t max_svmlight_index = std::int64_t{1} << 40;

class SvmlightFormatError : public std::invalid_argument {
   public:
    SvmlightFormatError(std::int64_t line, const std::string& what)
        : std::invalid_argument(line > 0 ? "line " + std::to_string(line) + ": " + what : what), line_(line) {}
    std::int64_t line() const noexcept { return line_; }

   private:
    std::int64_t line_;
};

namespace svmlight_detail {

inline bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// A token for an error message: at most 40 bytes, unprintable ones as \xNN.
inline std::string quoted(const char* b, const char* e) {
    static const char hex[] = "0123456789abcdef";
    std::string out = "'";
    const char* stop = e - b > 40 ? b + 40 : e;
    for (const char* p = b; p < stop; ++p) {
        const auto u = static_cast<unsigned char>(*p);
        if (u >= 0x20 && u < 0x7f && u != '\\') {
            out += *p;
        } else {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    out += stop < e ? "...'" : "'";
    return out;
}

// A real number filling [b, e) exactly, with an optional leading '+' as Python's float() allows.
inline bool parse_real(const char* b, const char* e, double& out) noexcept {
    if (b < e && *b == '+') {
        ++b;
        if (b < e && (*b == '-' || *b == '+')) return false;
    }
    if (b == e) return false;
    const auto r = std::from_chars(b, e, out, std::chars_format::general);
    return r.ec == std::errc() && r.ptr == e;
}

// Digits only; false when empty, not all digits, or above `limit`.
inline bool parse_count(const char* b, const char* e, std::int64_t limit, std::int64_t& out) noexcept {
    if (b == e) return false;
    std::int64_t v = 0;
    for (const char* p = b; p < e; ++p) {
        const unsigned d = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
        if (d > 9) return false;
        if (v > (limit - static_cast<std::int64_t>(d)) / 10) return false;
        v = v * 10 + static_cast<std::int64_t>(d);
    }
    out = v;
    return true;
}

// The common token `digits:number` followed by whitespace or the line's end, read in one
// pass (no scan for the token's end first): the index, the value and where the token ends.
// False for anything else, which the caller then reads the careful way (and either accepts,
// e.g. a value with a leading '+', or reports).
inline bool fast_pair(const char* b, const char* e, std::int64_t& index, double& value, const char*& next) noexcept {
    std::int64_t v = 0;
    const char* p = b;
    while (p < e) {
        const unsigned d = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
        if (d > 9) break;
        v = v * 10 + static_cast<std::int64_t>(d);
        if (v > max_svmlight_index) return false;
        ++p;
    }
    if (p == b || p == e || *p != ':') return false;
    ++p;
    if (p == e || *p == '+') return false;
    const auto r = std::from_chars(p, e, value, std::chars_format::general);
    if (r.ec != std::errc() || (r.ptr < e && !is_space(*r.ptr)) || !std::isfinite(value)) return false;
    index = v;
    next = r.ptr;
    return true;
}

}  // namespace svmlight_detail

// Parses svmlight text fed in chunks; finish() ends the text and fixes the index base.
// Value is the dtype of the stored values (float or double); labels are always double.
// One parser serves one text: feed and finish lock, so two threads cannot interleave.
template <class Value>
class SvmlightParser {
   public:
    SvmlightParser(IndexBase base, bool keep_qid) : base_(base), keep_qid_(keep_qid) { row_starts_.push_back(0); }

    // Parses every line that ends in this chunk; the unfinished last line waits for the next.
    void feed(const char* data, std::size_t size) {
        std::lock_guard<std::mutex> hold(lock_);
        check_open();
        const char* p = data;
        const char* end = data + size;
        if (!pending_.empty()) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', size));
            if (nl == nullptr) {
                pending_.append(p, end);
                return;
            }
            pending_.append(p, nl);
            parse_line(pending_.data(), pending_.data() + pending_.size());
            pending_.clear();
            p = nl + 1;
        }
        while (p < end) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
            if (nl == nullptr) {
                pending_.assign(p, end);
                return;
            }
            parse_line(p, nl);
            p = nl + 1;
        }
    }

    // Ends the text: parses a last line without a newline, then applies the index base.
    void finish() {
        std::lock_guard<std::mutex> hold(lock_);
        check_open();
        finished_ = true;
        if (!pending_.empty()) {
            parse_line(pending_.data(), pending_.data() + pending_.size());
            pending_.clear();
        }
        if (labels_.empty()) {
            line_ = 0;
            fail("no data: the text has no line with a label (it is empty, or only blank and comment lines)");
        }
        const bool shift = base_ == IndexBase::one || (base_ == IndexBase::automatic && !values_.empty() &&
                                                       min_index_ > 0);
        if (shift) {
            for (auto& c : narrow_columns_) --c;
            for (auto& c : wide_columns_) --c;
        }
        // at least one column, as scikit-learn's reader gives a file without features
        n_columns_ = values_.empty() ? 1 : max_index_ + (shift ? 0 : 1);
        one_based_ = shift;
    }

    // Filled by feed/finish; read them after finish().
    std::vector<Value>& values() noexcept { return values_; }
    // The column indices: int32 while every index fits (half the memory, and what SciPy
    // keeps), int64 from the first that does not (wide_columns() is then the one filled).
    bool wide() const noexcept { return wide_; }
    std::vector<std::int32_t>& narrow_columns() noexcept { return narrow_columns_; }
    std::vector<std::int64_t>& wide_columns() noexcept { return wide_columns_; }
    std::vector<std::int64_t>& row_starts() noexcept { return row_starts_; }
    std::vector<double>& labels() noexcept { return labels_; }
    std::vector<std::int64_t>& qids() noexcept { return qids_; }
    std::int64_t n_columns() const noexcept { return n_columns_; }  // the largest index + 1, at least 1
    bool one_based() const noexcept { return one_based_; }          // whether indices were shifted down by 1
    std::int64_t lines() const noexcept { return line_; }
    bool keeps_qid() const noexcept { return keep_qid_; }

   private:
    void check_open() const {
        if (finished_) throw std::logic_error("this svmlight parser has finished; make a new one for new text");
    }

    // The first error ends the text; the arrays keep whole rows only, so what the parser
    // holds stays consistent.
    [[noreturn]] void fail(const std::string& what) {
        finished_ = true;
        const auto kept = static_cast<std::size_t>(row_starts_.back());
        values_.resize(kept);
        narrow_columns_.resize(wide_ ? 0 : kept);
        wide_columns_.resize(wide_ ? kept : 0);
        if (keep_qid_) qids_.resize(labels_.size());
        throw SvmlightFormatError(line_, what);
    }

    void parse_line(const char* b, const char* e) {
        using namespace svmlight_detail;
        ++line_;
        if (const void* hash = std::memchr(b, '#', static_cast<std::size_t>(e - b))) e = static_cast<const char*>(hash);
        while (b < e && is_space(*b)) ++b;
        if (b == e) return;  // blank or comment-only line
        const char* t = b;
        while (t < e && !is_space(*t)) ++t;
        double label;
        if (!parse_real(b, t, label)) {
            if (std::memchr(b, ':', static_cast<std::size_t>(t - b)) != nullptr)
                fail("the line starts with the feature " + quoted(b, t) + " where a label was expected");
            if (std::memchr(b, ',', static_cast<std::size_t>(t - b)) != nullptr)
                fail("the label " + quoted(b, t) + " lists several labels; multilabel files are not supported");
            fail("the label " + quoted(b, t) + " is not a number");
        }
        if (!std::isfinite(label)) fail("the label " + quoted(b, t) + " is not finite");
        std::int64_t previous = -1;
        bool first = true;
        bool has_qid = false;
        b = t;
        while (true) {
            while (b < e && is_space(*b)) ++b;
            if (b == e) break;
            std::int64_t index;
            double value;
            if (*b != 'q' && fast_pair(b, e, index, value, t)) {
                if (!(index == 0 && base_ == IndexBase::one) && index > previous) {
                    first = false;
                    append(index, value, previous);
                    b = t;
                    continue;
                }
            }
            t = b;
            while (t < e && !is_space(*t)) ++t;
            const char* colon = static_cast<const char*>(std::memchr(b, ':', static_cast<std::size_t>(t - b)));
            if (colon == nullptr) {
                fail("the token " + quoted(b, t) + " is not index:value (a truncated line?)");
            }
            if (first && colon - b == 3 && std::memcmp(b, "qid", 3) == 0) {
                std::int64_t q;
                if (!parse_count(colon + 1, t, std::numeric_limits<std::int64_t>::max(), q)) {
                    fail("the query id " + quoted(b, t) + " is not a non-negative whole number");
                }
                if (keep_qid_) qids_.push_back(q);
                has_qid = true;
                first = false;
                b = t;
                continue;
            }
            first = false;
            if (!parse_count(b, colon, max_svmlight_index, index)) {
                if (colon > b && *b == '-') fail("the feature index in " + quoted(b, t) + " is negative");
                if (colon - b > 0 && std::all_of(b, colon, [](char c) { return c >= '0' && c <= '9'; }))
                    fail("the feature index in " + quoted(b, t) + " is larger than the largest supported (2^40); "
                         "the file is damaged");
                fail("the feature index in " + quoted(b, t) + " is not a whole number");
            }
            if (!parse_real(colon + 1, t, value)) {
                fail("the value in " + quoted(b, t) + " is not a number" +
                     (colon + 1 == t ? " (a truncated line?)" : ""));
            }
            if (!std::isfinite(value)) {
                fail("the value in " + quoted(b, t) + " is not finite");
            }
            if (index == 0 && base_ == IndexBase::one) {
                fail("feature index 0 in a one-based file (libsvm counts features from 1); read it with "
                     "zero_based=True or 'auto'");
            }
            if (index <= previous) {
                fail("feature index " + std::to_string(index) + " follows " + std::to_string(previous) +
                     "; indices must increase along a line (sorted, no repeats)");
            }
            append(index, value, previous);
            b = t;
        }
        if (keep_qid_ && !has_qid) {
            fail("the line has no qid: but query ids were asked for; every line needs one");
        }
        labels_.push_back(label);
        row_starts_.push_back(static_cast<std::int64_t>(values_.size()));
    }

    void append(std::int64_t index, double value, std::int64_t& previous) {
        if (!std::isfinite(static_cast<Value>(value))) {  // finite as a double, not in float32
            fail("the value " + std::to_string(value) + " of feature " + std::to_string(index) +
                 " is too large for float32; read the file with dtype=float64");
        }
        previous = index;
        min_index_ = std::min(min_index_, index);
        max_index_ = std::max(max_index_, index);
        if (!wide_ && index > std::numeric_limits<std::int32_t>::max()) {
            wide_columns_.assign(narrow_columns_.begin(), narrow_columns_.end());
            narrow_columns_ = {};
            wide_ = true;
        }
        if (wide_) {
            wide_columns_.push_back(index);
        } else {
            narrow_columns_.push_back(static_cast<std::int32_t>(index));
        }
        values_.push_back(static_cast<Value>(value));
    }

    IndexBase base_;
    bool keep_qid_;
    bool finished_ = false;
    bool one_based_ = false;
    std::int64_t line_ = 0;
    std::int64_t min_index_ = std::numeric_limits<std::int64_t>::max();
    std::int64_t max_index_ = -1;
    std::int64_t n_columns_ = 0;
    std::string pending_;
    std::vector<Value> values_;
    bool wide_ = false;
    std::vector<std::int32_t> narrow_columns_;
    std::vector<std::int64_t> wide_columns_;
    std::vector<std::int64_t> row_starts_;
    std::vector<double> labels_;
    std::vector<std::int64_t> qids_;
    std::mutex lock_;
};

}  // namespace pygdx
