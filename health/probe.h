// One health check attempt of one kind (tcp connect, http request). A probe only talks to the
// server; timing out, counting and scheduling belong to the Checker that owns it.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace tether::health {

// Handlers hold a shared_ptr to the probe, so the owner may drop it at any time.
class Probe : public std::enable_shared_from_this<Probe> {
 public:
  // ok, and a short human reason: "connected", "connection refused", "status 500".
  using Done = std::function<void(bool ok, std::string detail)>;

  virtual ~Probe() = default;
  // Calls `done` exactly once, unless cancel() comes first.
  virtual void start(Done done) = 0;
  // Closes the socket; `done` is not called afterwards.
  virtual void cancel() = 0;
};

}  // namespace tether::health
