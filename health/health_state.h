// The rise/fall state machine of one checked server, without sockets or timers. Like HAProxy, a
// server starts up (checks confirm what the operator configured) and needs `fall` consecutive
// failures to go down, then `rise` consecutive successes to come back.
#pragma once

namespace tether::health {

class HealthState {
 public:
  enum class Change { none, went_up, went_down };

  // `up` false: a server that was down when a reload replaced its checker stays down.
  HealthState(unsigned rise, unsigned fall, bool up = true) : rise_(rise), fall_(fall), up_(up) {}

  Change record(bool ok) {
    if (ok) {
      failures_ = 0;
      if (up_ || ++successes_ < rise_) return Change::none;
      up_ = true;
      successes_ = 0;
      return Change::went_up;
    }
    successes_ = 0;
    if (!up_ || ++failures_ < fall_) return Change::none;
    up_ = false;
    failures_ = 0;
    return Change::went_down;
  }

  bool up() const { return up_; }
  // Consecutive results counted towards the next change.
  unsigned successes() const { return successes_; }
  unsigned failures() const { return failures_; }

 private:
  unsigned rise_, fall_;
  bool up_;
  unsigned successes_ = 0, failures_ = 0;
};

}  // namespace tether::health
