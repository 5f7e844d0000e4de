// What a reload does to a pool's consistent hash (SPEC §6 reload "moved"): the share of the
// Maglev slots whose owner, by server name, differs between the table before and after. Clients
// hash uniformly over the slots, so this is the share of clients without a stick entry that a
// change sends to another server.
#pragma once

#include <span>
#include <string>

#include "lb/maglev.h"

namespace tether::lb {

// `names` give each table's entries (candidate indices) their server names. An empty table owns
// nothing: against a non-empty one every slot changed owner (1.0); two empty tables, none (0.0).
double moved_share(const MaglevTable& before, std::span<const std::string> before_names,
                   const MaglevTable& after, std::span<const std::string> after_names);

}  // namespace tether::lb
