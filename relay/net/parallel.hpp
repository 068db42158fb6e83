// Two coroutines at once on the caller's executor (one thread: interleaved at their waits, which
// are mostly on the network), for the engine and the adapters.
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace causeway::net {

namespace detail {
// In an optional: co_spawn default-constructs what it hands back, which a Result is not.
template <typename T>
boost::asio::awaitable<std::optional<T>> in_optional(boost::asio::awaitable<T> op) {
  co_return co_await std::move(op);
}
}  // namespace detail

// Runs `a` and `b` at once; both results, once both are done. An exception from either is
// rethrown after both have finished, so neither outlives the call.
template <typename A, typename B>
boost::asio::awaitable<std::pair<A, B>> both(boost::asio::awaitable<A> a, boost::asio::awaitable<B> b) {
  namespace asio = boost::asio;
  auto executor = co_await asio::this_coro::executor;
  auto first = asio::co_spawn(executor, detail::in_optional(std::move(a)), asio::deferred);
  auto second = asio::co_spawn(executor, detail::in_optional(std::move(b)), asio::deferred);
  auto [order, a_error, a_result, b_error, b_result] =
      co_await asio::experimental::make_parallel_group(std::move(first), std::move(second))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  (void)order;
  if (a_error) std::rethrow_exception(a_error);
  if (b_error) std::rethrow_exception(b_error);
  co_return std::pair<A, B>(std::move(*a_result), std::move(*b_result));
}

}  // namespace causeway::net
