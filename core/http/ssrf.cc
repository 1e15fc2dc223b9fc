#include "core/http/ssrf.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace aigate::http {
namespace {

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

Error refused(const std::string& why) {
  return Error(ErrorCode::kInvalidRequest, "The URL is refused: " + why + ".");
}

std::optional<std::string> forbiddenV4(const uint8_t* a) {
  struct Range {
    uint32_t base;
    int bits;
    const char* what;
  };
  static constexpr Range kRanges[] = {
      {0x00000000, 8, "an unspecified (0.0.0.0/8) address"},
      {0x7F000000, 8, "a loopback address"},
      {0x0A000000, 8, "a private address"},
      {0xAC100000, 12, "a private address"},
      {0xC0A80000, 16, "a private address"},
      {0xA9FE0000, 16, "a link-local address"},
      {0x64400000, 10, "a carrier-grade NAT address"},
      {0xC0000000, 24, "an IETF protocol address"},
      {0xC6120000, 15, "a benchmarking address"},
      {0xE0000000, 4, "a multicast address"},
      {0xF0000000, 4, "a reserved or broadcast address"},
  };
  const uint32_t ip =
      (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
  for (const auto& r : kRanges) {
    const uint32_t mask = ~uint32_t{0} << (32 - r.bits);
    if ((ip & mask) == r.base) return std::string(r.what);
  }
  return std::nullopt;
}

std::optional<std::string> forbiddenV6(const uint8_t* a) {
  static constexpr uint8_t kZero[16] = {};
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a, kZero, 15) == 0 && a[15] <= 1)
    return std::string(a[15] ? "a loopback address" : "an unspecified address");
  if (std::memcmp(a, kMapped, 12) == 0) return std::string("an IPv4-mapped address");
  if (std::memcmp(a, kZero, 12) == 0) return std::string("an IPv4-compatible address");
  if (std::memcmp(a, kNat64, 12) == 0) return std::string("a NAT64 address");
  if (a[0] == 0x20 && a[1] == 0x02) return std::string("a 6to4 address");
  if ((a[0] & 0xFE) == 0xFC) return std::string("a private (unique local) address");
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return std::string("a link-local address");
  if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return std::string("a site-local address");
  if (a[0] == 0xFF) return std::string("a multicast address");
  return std::nullopt;
}

}  // namespace

std::string IpAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return text;
}

std::optional<IpAddress> IpAddress::parse(const std::string& text) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

std::optional<std::string> forbiddenRange(const IpAddress& address) {
  return address.v6 ? forbiddenV6(address.bytes.data()) : forbiddenV4(address.bytes.data());
}

Result<std::vector<IpAddress>> systemResolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) return refused("the host " + host + " does not resolve (" + gai_strerror(rc) + ")");
  std::vector<IpAddress> out;
  for (const addrinfo* ai = found; ai; ai = ai->ai_next) {
    IpAddress a;
    if (ai->ai_family == AF_INET) {
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
    } else if (ai->ai_family == AF_INET6) {
      a.v6 = true;
      std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr,
                  16);
    } else {
      continue;
    }
    out.push_back(a);
  }
  freeaddrinfo(found);
  if (out.empty()) return refused("the host " + host + " has no address");
  return out;
}

Result<VettedUrl> vetUrl(const std::string& url, const SsrfPolicy& policy) {
  if (url.empty()) return refused("it is empty");
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), &curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return refused("it is not an absolute http or https URL");
  auto part = [&](CURLUPart which, unsigned flags) -> std::string {
    char* text = nullptr;
    if (curl_url_get(u.get(), which, &text, flags) != CURLUE_OK || !text) return {};
    std::string out(text);
    curl_free(text);
    return out;
  };
  VettedUrl v;
  v.scheme = lower(part(CURLUPART_SCHEME, 0));
  if (v.scheme != "http" && v.scheme != "https") return refused("only http and https are allowed");
  v.host = lower(part(CURLUPART_HOST, 0));
  if (v.host.size() > 2 && v.host.front() == '[') v.host = v.host.substr(1, v.host.size() - 2);
  if (v.host.empty()) return refused("it has no host");
  const std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  v.port = static_cast<uint16_t>(std::atoi(port.c_str()));
  if (v.port == 0) return refused("it has no valid port");
  v.url = part(CURLUPART_URL, 0);

  const auto& allow = policy.allow_hosts;
  auto allowed = [&](const std::string& name) {
    return std::any_of(allow.begin(), allow.end(),
                       [&](const std::string& a) { return lower(a) == name; });
  };
  const bool host_allowed = allowed(v.host);
  std::string bare = v.host;
  while (!bare.empty() && bare.back() == '.') bare.pop_back();
  if (!host_allowed && (bare == "localhost" || (bare.size() > 10 && bare.ends_with(".localhost"))))
    return refused(v.host + " is a loopback name");

  std::vector<IpAddress> addresses;
  if (auto literal = IpAddress::parse(v.host)) {
    addresses.push_back(*literal);
  } else {
    auto resolved = policy.resolve ? policy.resolve(v.host) : systemResolve(v.host);
    if (!resolved) return resolved.error();
    addresses = std::move(resolved.value());
    if (addresses.empty()) return refused("the host " + v.host + " has no address");
  }
  if (!host_allowed) {
    for (const auto& a : addresses) {
      if (allowed(a.toString())) continue;
      if (auto why = forbiddenRange(a))
        return refused(v.host + " resolves to " + a.toString() + ", " + *why);
    }
  }
  v.address = addresses.front();
  return v;
}

ConnectionPin::ConnectionPin(CURL* handle, const VettedUrl& vetted) {
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_PROXY, "");
  if (IpAddress::parse(vetted.host)) return;  // a literal: curl connects to it, no lookup
  std::string address = vetted.address.toString();
  if (vetted.address.v6) address = '[' + std::move(address) + ']';
  const std::string entry = vetted.host + ":" + std::to_string(vetted.port) + ":" + address;
  resolve_ = curl_slist_append(nullptr, entry.c_str());
  curl_easy_setopt(handle, CURLOPT_RESOLVE, resolve_);
}

ConnectionPin::~ConnectionPin() {
  if (resolve_) curl_slist_free_all(resolve_);
}

}  // namespace aigate::http
