// The WebSocket stream /v1/stream: one JSON text frame per committed message transition, fanned
// out to every connected client through a bounded queue each, so a slow client is cut off rather
// than allowed to grow the relay's memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "relay/api/http_server.hpp"
#include "relay/engine/engine.hpp"

namespace causeway::api {

struct StreamOptions {
  std::size_t max_clients = 64;  // more are answered 503
  // Frames one client may have waiting; one more and it is disconnected.
  std::size_t queue_frames = 1024;
  // A client must answer pings within this (a half of it passes before the ping), so a client
  // that stopped reading is closed even when no new transition fills its queue.
  std::chrono::milliseconds idle_timeout{30000};
  // Unix seconds for each frame's "time"; injectable for tests.
  std::function<std::uint64_t()> clock;
};

// The frame of one transition: {"id","state","lane","claim","reason","time"}; lane and reason are
// empty strings when there is none.
nlohmann::json transition_frame(const engine::TransitionEvent& event, std::uint64_t time);

// Answers an upgrade request with an ordinary HTTP response instead (a refusal) and returns its
// status, for an UpgradeHandler that will not upgrade.
boost::asio::awaitable<unsigned> refuse_upgrade(Connection& connection, Response response);

class TransitionStream {
 public:
  explicit TransitionStream(StreamOptions options = {});
  ~TransitionStream();
  TransitionStream(const TransitionStream&) = delete;
  TransitionStream& operator=(const TransitionStream&) = delete;

  // Queues the event's frame for every client. Thread-safe; never blocks.
  void publish(const engine::TransitionEvent& event);
  // An UpgradeHandler body: completes the WebSocket handshake and sends frames until the client
  // leaves, falls behind, or the connection is closed, over plain TCP or TLS alike. Returns the
  // status it answered.
  boost::asio::awaitable<unsigned> serve(Request request, Connection& connection);
  // Clients connected now, handshakes in progress included. Thread-safe.
  std::size_t clients() const;

 private:
  struct Impl;
  // Shared with every serving coroutine, which may outlive the object by a cut connection.
  std::shared_ptr<Impl> impl_;
};

}  // namespace causeway::api
