// Which address a request comes from, when a trusted proxy (the Lync reverse proxy) stands
// between the client and us (SPEC §3 client_address, trusted_proxies). Pure.
#pragma once

#include <asio/ip/address.hpp>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace tether::lb {

bool is_trusted(const asio::ip::address& peer, const std::vector<config::Cidr>& trusted);

// X-Forwarded-For read from the right: every proxy appends the address it received from, so the
// rightmost entry not itself a trusted proxy is the client. `forwarded_for` is the comma-joined
// value of every X-Forwarded-For header. Falls back to `peer` when the peer is not trusted or the
// header holds nothing usable (a malformed entry ends the walk: what is left of it is not
// vouched for by anyone we trust).
asio::ip::address client_from_forwarded_for(const asio::ip::address& peer,
                                            std::string_view forwarded_for,
                                            const std::vector<config::Cidr>& trusted);

}  // namespace tether::lb
