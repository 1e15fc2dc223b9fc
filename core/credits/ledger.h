// The credit ledger: every change to an account is one append-only ledger
// entry written in the same transaction as the account row.
//
// Invariants (checked by tests): 0 <= held <= balance; balance = SUM(amount)
// and held = SUM(held_delta) over the user's entries; a hold is captured or
// released exactly once.
//
// REQUIRES for every function: called inside a Store write (the writer
// thread's open transaction).
#pragma once

#include "core/common/errors.h"
#include "core/store/store.h"

#include <cstdint>
#include <optional>
#include <string>

namespace aigate::credits {

struct Balance {
  int64_t balance = 0;  // credits owned
  int64_t held = 0;     // reserved by running generations
  int64_t available() const { return balance - held; }
};

// What a ledger entry is for; written with the entry.
struct EntryInfo {
  std::string ref;   // request or job id this entry belongs to
  std::string note;  // human text, e.g. "pack scale"
};

// Opens an empty account for a new user.
void openAccount(store::Conn& c, const std::string& user_id);

// The account of `user_id`; not_found if it has none.
Result<Balance> balanceOf(store::Conn& c, const std::string& user_id);

// Adds `amount` (> 0) credits.
Result<Balance> grant(store::Conn& c, const std::string& user_id, int64_t amount,
                      const EntryInfo& info);

// 402 insufficient_credits: `needed` credits asked for, `available` there.
Error insufficientCredits(int64_t needed, int64_t available);

// Takes `amount` (> 0) at once if that much is available; otherwise
// insufficient_credits with credits_needed and credits_balance.
Result<Balance> charge(store::Conn& c, const std::string& user_id, int64_t amount,
                       const EntryInfo& info);

struct Hold {
  std::string id;
  Balance after;
};

// Reserves `amount` (> 0) so that it can be captured or released later;
// insufficient_credits when less is available.
Result<Hold> hold(store::Conn& c, const std::string& user_id, int64_t amount,
                  const EntryInfo& info);

// Turns an open hold into a charge of `amount` (default: all of it; never
// more), giving the rest back. not_found for an unknown hold; an
// invalid_request error when it was already captured or released.
Result<Balance> capture(store::Conn& c, const std::string& hold_id,
                        std::optional<int64_t> amount = std::nullopt);

// Gives an open hold back. Errors as capture().
Result<Balance> release(store::Conn& c, const std::string& hold_id);

// Credits held by open holds across all users (any connection; for metrics).
int64_t totalHeld(store::Conn& c);

}  // namespace aigate::credits
