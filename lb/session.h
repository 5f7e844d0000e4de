// What a worker knows of each client connection it owns, whatever the mode: enough to close it
// at the end of a graceful stop.
#pragma once

namespace tether::lb {

class Session {
 public:
  virtual ~Session() = default;
  // Ends the session now, logging `reason` as how it ended. Worker thread only.
  virtual void close(const char* reason) = 0;
  // A graceful stop has begun (Worker::wind_down): end as soon as that loses nothing. Tcp
  // sessions relay until either side ends; http sessions end between requests. Worker thread
  // only.
  virtual void wind_down() {}
};

}  // namespace tether::lb
