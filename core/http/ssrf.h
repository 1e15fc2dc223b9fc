// The SSRF guard for URLs that users hand us (webhook endpoints, later image
// inputs): only http and https, the host resolved once and refused when any of
// its addresses is loopback, private, link-local, CGNAT, multicast,
// unspecified, reserved or IPv4-mapped, unless the operator allows that host.
// The request then connects to the vetted address (CURLOPT_RESOLVE), never
// follows redirects and ignores proxies from the environment, so a second DNS
// answer or a 30x cannot take it elsewhere.
//
// Threading: vetUrl() may be called from any thread; it blocks on DNS when the
// host is a name (the resolver is injectable for tests).
#pragma once

#include "core/common/errors.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

typedef void CURL;
struct curl_slist;

namespace aigate::http {

// An IPv4 or IPv6 address.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  // "127.0.0.1", "::1".
  std::string toString() const;
  // Parses a numeric IPv4 (dotted quad only) or IPv6 address.
  static std::optional<IpAddress> parse(const std::string& text);
};

// Why an address may not be reached, or nullopt when it is a public one.
std::optional<std::string> forbiddenRange(const IpAddress& address);

// Every address of `host`, or an error when it does not resolve.
using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;
// The system resolver (getaddrinfo), which also reads the numeric forms
// inet_aton accepts ("2130706433", "0x7f000001", "127.1").
Result<std::vector<IpAddress>> systemResolve(const std::string& host);

struct SsrfPolicy {
  // Hosts exempt from the address check: a name or address as written in the
  // URL (case-insensitive), or an address any of the host's addresses equals.
  std::vector<std::string> allow_hosts;
  Resolver resolve;  // empty: systemResolve
};

struct VettedUrl {
  std::string url;     // as curl normalized it
  std::string scheme;  // "http" | "https"
  std::string host;    // as in the URL, without IPv6 brackets
  uint16_t port = 0;   // the scheme's default when the URL has none
  IpAddress address;   // where to connect
};

// Parses and checks `url`: 400 invalid_request saying why it is refused (no
// `field`: the caller knows which field it came from).
Result<VettedUrl> vetUrl(const std::string& url, const SsrfPolicy& policy);

// Makes a curl handle connect only to `vetted.address` for the URL's host and
// port, follow no redirect, speak only http/https and use no proxy. The pin
// must outlive the handle's transfer.
class ConnectionPin {
 public:
  ConnectionPin(CURL* handle, const VettedUrl& vetted);
  ~ConnectionPin();
  ConnectionPin(const ConnectionPin&) = delete;
  ConnectionPin& operator=(const ConnectionPin&) = delete;

 private:
  curl_slist* resolve_ = nullptr;
};

}  // namespace aigate::http
