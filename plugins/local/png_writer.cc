#include "png_writer.h"

#include <png.h>

#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace aigate::plugins::local {

namespace {

// Where libpng's output goes. An allocation failure is remembered rather than
// thrown, since no exception may cross libpng's C frames.
struct Sink {
  std::string bytes;
  bool failed = false;
};

void appendBytes(png_structp png, png_bytep data, png_size_t size) {
  auto* sink = static_cast<Sink*>(png_get_io_ptr(png));
  if (sink->failed) return;
  try {
    sink->bytes.append(reinterpret_cast<const char*>(data), size);
  } catch (const std::bad_alloc&) {
    sink->failed = true;
  }
}

void flushNothing(png_structp) {}

// The libpng calls, kept apart because libpng reports errors by longjmp():
// nothing between setjmp() and the jump may own resources. `rows` stay valid
// for the call. Returns false when libpng failed.
bool writeRows(png_structp png, png_infop info, int width, int height, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  // Smooth gradients: one fixed filter and a fast zlib level keep encoding
  // quick at a small cost in size.
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
  png_set_compression_level(png, 3);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

std::string encodePng(const Canvas& canvas) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) throw std::runtime_error("libpng: cannot create a write struct");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    throw std::runtime_error("libpng: cannot create an info struct");
  }

  Sink sink;
  std::vector<png_bytep> rows(static_cast<std::size_t>(canvas.height()));
  // libpng takes non-const row pointers but only reads them when writing.
  auto* pixels = const_cast<png_bytep>(canvas.rgb().data());
  for (std::size_t y = 0; y < rows.size(); ++y) {
    rows[y] = pixels + y * static_cast<std::size_t>(canvas.width()) * 3;
  }
  png_set_write_fn(png, &sink, &appendBytes, &flushNothing);
  const bool ok = writeRows(png, info, canvas.width(), canvas.height(), rows.data());
  png_destroy_write_struct(&png, &info);
  if (!ok || sink.failed) throw std::runtime_error("libpng failed to encode the image");
  return std::move(sink.bytes);
}

}  // namespace aigate::plugins::local
