// Library routes: GET /api/v1/search and the asset files under /files/.
#include "core/api/app.h"
#include "core/api/query_params.h"
#include "core/common/clock.h"
#include "core/library/asset.h"
#include "core/library/catalog.h"

#include <ctime>

namespace aigate::api {
namespace {

constexpr const char* kImmutable = "public, max-age=31536000, immutable";

Outcome search(Context& ctx) {
  const Request& req = ctx.req;
  library::SearchQuery q;
  if (const auto* text = req.queryParam("q")) q.text = *text;
  if (const auto* type = req.queryParam("type")) {
    if (*type != "image" && *type != "video")
      return Error::invalidField("type", "type must be image or video.");
    q.type = *type;
  }
  if (const auto* ratio = req.queryParam("aspect_ratio")) {
    if (auto s = checkAspectRatio(*ratio); !s) return s.error();
    q.aspect_ratio = *ratio;
  }
  if (const auto* topic = req.queryParam("topic"); topic && !topic->empty()) q.topic = *topic;
  int64_t limit = q.limit;
  int64_t offset = q.offset;
  if (auto s = intParam(req, "limit", 1, 100, limit); !s) return s.error();
  if (auto s = intParam(req, "offset", 0, INT32_MAX, offset); !s) return s.error();
  q.limit = static_cast<int>(limit);
  q.offset = static_cast<int>(offset);
  q.viewer = ctx.caller->user.id;

  const auto result = library::search(ctx.app.store().reader(), q);
  const std::string base = ctx.app.baseUrl(req);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& asset : result.items) items.push_back(library::assetJson(asset, base));
  return Reply::json(200, {{"items", std::move(items)},
                           {"total", result.total},
                           {"limit", q.limit},
                           {"offset", q.offset}});
}

std::optional<int64_t> parseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

// One "bytes=" range against `size`. nullopt + satisfiable=true: no usable
// Range (serve it all); satisfiable=false: 416.
std::optional<ByteRange> parseRange(const std::string& header, uint64_t size, bool& satisfiable) {
  satisfiable = true;
  constexpr std::string_view kPrefix = "bytes=";
  if (header.rfind(kPrefix, 0) != 0) return std::nullopt;
  const std::string spec = header.substr(kPrefix.size());
  if (spec.find(',') != std::string::npos) return std::nullopt;  // multiple ranges: send it all
  const auto dash = spec.find('-');
  if (dash == std::string::npos) return std::nullopt;
  auto number = [](const std::string& s, uint64_t& out) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
      return false;
    out = std::stoull(s);
    return true;
  };
  const std::string a = spec.substr(0, dash);
  const std::string b = spec.substr(dash + 1);
  uint64_t first = 0;
  uint64_t last = 0;
  if (a.empty()) {  // suffix: the last N bytes
    uint64_t n = 0;
    if (!number(b, n)) return std::nullopt;
    if (n == 0 || size == 0) {
      satisfiable = false;
      return std::nullopt;
    }
    first = n >= size ? 0 : size - n;
    last = size - 1;
  } else {
    if (!number(a, first)) return std::nullopt;
    if (b.empty()) {
      last = size - 1;
    } else if (!number(b, last) || last < first) {
      return std::nullopt;
    }
    if (first >= size) {
      satisfiable = false;
      return std::nullopt;
    }
    last = std::min(last, size - 1);
  }
  return ByteRange{first, last};
}

Outcome serveFile(Context& ctx) {
  const Request& req = ctx.req;
  const auto key = storage::keyFromFileName(ctx.param(0));
  std::optional<storage::ObjectInfo> info;
  if (key) info = ctx.app.storage().stat(*key);
  if (!info) return Error(ErrorCode::kNotFound, "No file " + ctx.param(0) + ".");

  const std::string name = ctx.param(0);
  const std::string etag = "\"" + name.substr(0, 64) + "\"";
  const std::string ext = name.substr(65);
  Reply reply;
  reply.content_type = library::mimeForExtension(ext);
  reply.headers = {{"ETag", etag},
                   {"Last-Modified", httpDate(info->modified)},
                   {"Cache-Control", kImmutable},
                   {"Accept-Ranges", "bytes"}};

  const bool not_modified =
      !req.if_none_match.empty()
          ? (req.if_none_match == "*" || req.if_none_match.find(etag) != std::string::npos)
          : (!req.if_modified_since.empty() &&
             parseHttpDate(req.if_modified_since).value_or(-1) >= info->modified);
  if (not_modified) {
    reply.status = 304;
    reply.content_type = "application/octet-stream";
    return reply;
  }

  bool satisfiable = true;
  const auto range = req.range.empty() ? std::nullopt : parseRange(req.range, info->size, satisfiable);
  if (!satisfiable) {
    Reply refused = Reply::fromError(Error(ErrorCode::kRangeNotSatisfiable,
                                           "The requested range is outside the file's " +
                                               std::to_string(info->size) + " bytes."));
    refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(info->size));
    return refused;
  }
  uint64_t first = 0;
  uint64_t length = info->size;
  if (range) {
    reply.status = 206;
    first = range->first;
    length = range->last - range->first + 1;
    reply.headers.emplace_back("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                                    std::to_string(range->last) + "/" +
                                                    std::to_string(info->size));
  }
  if (req.method == Method::kHead) {
    reply.head_length = length;
    return reply;
  }
  auto bytes = ctx.app.storage().read(*key, first, length);
  if (!bytes) return bytes.error();
  reply.raw_body = std::move(bytes.value());
  return reply;
}

}  // namespace

void addLibraryRoutes(Router& router) {
  router.add({Method::kGet, "/api/v1/search", Access::kUser, search});
  router.add({Method::kGet, "/files/{name}", Access::kPublic, serveFile});
  router.add({Method::kHead, "/files/{name}", Access::kPublic, serveFile});
}

}  // namespace aigate::api
