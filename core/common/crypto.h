// Random identifiers and hashing (OpenSSL). Thread-safe.
#pragma once

#include <array>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>

namespace aigate {

using Sha256 = std::array<uint8_t, 32>;

Sha256 sha256(std::string_view data);
// The SHA-256 of a file's contents; nullopt when it cannot be read.
std::optional<Sha256> sha256File(const std::string& path);
std::string toHex(const Sha256& digest);

// `length` characters of [0-9A-Za-z] from the OS CSPRNG (5.95 bits each).
std::string randomBase62(size_t length);

// "<prefix>_" + 20 base62 characters: 8 of the time (milliseconds, so ids
// sort by creation and a store's id indexes grow at their end, where a batch
// of inserts shares pages) and 12 random (71 bits): ids of users, jobs…
std::string newId(std::string_view prefix);

// Compares two strings in time independent of where they differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace aigate
