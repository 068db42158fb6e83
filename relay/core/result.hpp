// Errors as values: Result<T> holds either a T or an Error with a named reason.
// std::expected is not usable with this toolchain (clang 14 cannot compile libstdc++ 12's
// <expected>, and GCC 12's lacks the monadic operations), so this is the project's own.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace causeway::core {

// A stable, printable reason name such as "rlp.leading_zero". Modules declare their reasons as
// `inline constexpr Reason kName{"module.reason"}` so tests and metrics compare names, not text.
struct Reason {
  std::string_view name;
  friend constexpr bool operator==(Reason a, Reason b) noexcept { return a.name == b.name; }
};

class [[nodiscard]] Error {
 public:
  Error(Reason reason, std::string detail = {}) : reason_(reason), detail_(std::move(detail)) {}

  Reason reason() const noexcept { return reason_; }
  const std::string& detail() const noexcept { return detail_; }
  // "reason: detail" (or only the reason), for logs and command-line output.
  std::string message() const {
    return detail_.empty() ? std::string(reason_.name) : std::string(reason_.name) + ": " + detail_;
  }
  // Adds where the error happened, outermost context first: "bundle.header: rlp.too_short".
  Error with_context(std::string_view where) && {
    detail_ = detail_.empty() ? std::string(where) : std::string(where) + ": " + detail_;
    return std::move(*this);
  }

 private:
  Reason reason_;
  std::string detail_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Accessing the wrong alternative is a broken invariant in the caller, not bad input.
  T& value() & { check_ok(); return std::get<0>(state_); }
  const T& value() const& { check_ok(); return std::get<0>(state_); }
  T&& value() && { check_ok(); return std::get<0>(std::move(state_)); }
  const Error& error() const& { check_error(); return std::get<1>(state_); }
  Error&& error() && { check_error(); return std::get<1>(std::move(state_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check_ok() const { if (!ok()) std::abort(); }
  void check_error() const { if (ok()) std::abort(); }

  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), has_error_(true) {}  // NOLINT

  bool ok() const noexcept { return !has_error_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { if (!has_error_) std::abort(); return error_; }
  Error&& error() && { if (!has_error_) std::abort(); return std::move(error_); }

 private:
  Error error_{Reason{""}};
  bool has_error_ = false;
};

inline Result<void> ok() { return {}; }

}  // namespace causeway::core

// Propagation helpers: CW_TRY(auto x, expr) binds the value or returns the error;
// CW_CHECK(expr) returns the error of a Result<void>-like expression.
#define CW_CONCAT_INNER(a, b) a##b
#define CW_CONCAT(a, b) CW_CONCAT_INNER(a, b)
#define CW_TRY_IMPL(tmp, decl, expr)            \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
#define CW_TRY(decl, expr) CW_TRY_IMPL(CW_CONCAT(cw_try_, __LINE__), decl, expr)
#define CW_CHECK(expr)                                                            \
  do {                                                                            \
    if (auto cw_check_ = (expr); !cw_check_.ok()) return std::move(cw_check_).error(); \
  } while (0)
// The same inside coroutines (co_return); `expr` may contain co_await. The value is held in a
// plain declaration first: GCC 12 mishandles co_await inside some compound statements.
#define CW_CO_TRY_IMPL(tmp, decl, expr)            \
  auto tmp = (expr);                               \
  if (!tmp.ok()) co_return std::move(tmp).error(); \
  decl = std::move(tmp).value()
#define CW_CO_TRY(decl, expr) CW_CO_TRY_IMPL(CW_CONCAT(cw_co_try_, __LINE__), decl, expr)
#define CW_CO_CHECK(expr)                                           \
  do {                                                              \
    auto cw_co_check_ = (expr);                                     \
    if (!cw_co_check_.ok()) co_return std::move(cw_co_check_).error(); \
  } while (0)
