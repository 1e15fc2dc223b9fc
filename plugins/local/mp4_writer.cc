#include "mp4_writer.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

namespace aigate::plugins::local {

namespace {

constexpr int kIoBufferSize = 64 * 1024;

void check(int ret, const char* what) {
  if (ret >= 0) return;
  char reason[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(ret, reason, sizeof(reason));
  throw std::runtime_error(std::string("mp4: ") + what + ": " + reason);
}

// The output file, in memory, with a file's semantics: writes land at the
// current position and extend the file as needed.
struct MemoryFile {
  std::string bytes;
  std::int64_t pos = 0;
};

// A second, read-only view of a MemoryFile, which the MP4 muxer opens to move
// 'moov' to the front (+faststart).
struct ReadCursor {
  const MemoryFile* file;
  std::int64_t pos = 0;
};

// Moves `pos` as fseek() would in a file of `size` bytes; AVSEEK_SIZE asks
// for the size.
std::int64_t seekIn(std::int64_t size, std::int64_t& pos, std::int64_t offset, int whence) {
  if ((whence & AVSEEK_SIZE) != 0) return size;
  std::int64_t target = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET:
      target = offset;
      break;
    case SEEK_CUR:
      target = pos + offset;
      break;
    case SEEK_END:
      target = size + offset;
      break;
    default:
      return AVERROR(EINVAL);
  }
  if (target < 0) return AVERROR(EINVAL);
  pos = target;
  return target;
}

int writeFile(void* opaque, std::uint8_t* data, int size) {
  auto* file = static_cast<MemoryFile*>(opaque);
  const auto begin = static_cast<std::size_t>(file->pos);
  try {
    if (begin + static_cast<std::size_t>(size) > file->bytes.size()) {
      file->bytes.resize(begin + static_cast<std::size_t>(size));
    }
  } catch (const std::bad_alloc&) {
    return AVERROR(ENOMEM);
  }
  std::memcpy(file->bytes.data() + begin, data, static_cast<std::size_t>(size));
  file->pos += size;
  return size;
}

std::int64_t seekFile(void* opaque, std::int64_t offset, int whence) {
  auto* file = static_cast<MemoryFile*>(opaque);
  return seekIn(static_cast<std::int64_t>(file->bytes.size()), file->pos, offset, whence);
}

int readCursor(void* opaque, std::uint8_t* data, int size) {
  auto* cursor = static_cast<ReadCursor*>(opaque);
  const auto total = static_cast<std::int64_t>(cursor->file->bytes.size());
  if (cursor->pos >= total) return AVERROR_EOF;
  const auto n = static_cast<int>(std::min<std::int64_t>(size, total - cursor->pos));
  std::memcpy(data, cursor->file->bytes.data() + cursor->pos, static_cast<std::size_t>(n));
  cursor->pos += n;
  return n;
}

std::int64_t seekCursor(void* opaque, std::int64_t offset, int whence) {
  auto* cursor = static_cast<ReadCursor*>(opaque);
  return seekIn(static_cast<std::int64_t>(cursor->file->bytes.size()), cursor->pos, offset, whence);
}

// AVFormatContext::io_open: the muxer reopens its output for reading (and
// only that) during +faststart; `context->opaque` is the MemoryFile.
int openForReading(AVFormatContext* context, AVIOContext** pb, const char* /*url*/, int flags,
                   AVDictionary** /*options*/) {
  if ((flags & AVIO_FLAG_WRITE) != 0) return AVERROR(EINVAL);
  auto* cursor = new (std::nothrow) ReadCursor{static_cast<const MemoryFile*>(context->opaque)};
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  *pb =
      cursor != nullptr && buffer != nullptr
          ? avio_alloc_context(buffer, kIoBufferSize, 0, cursor, &readCursor, nullptr, &seekCursor)
          : nullptr;
  if (*pb == nullptr) {
    delete cursor;
    av_free(buffer);
    return AVERROR(ENOMEM);
  }
  return 0;
}

// AVFormatContext::io_close2, for what openForReading() opened.
int closeReader(AVFormatContext* /*context*/, AVIOContext* pb) {
  delete static_cast<ReadCursor*>(pb->opaque);
  av_freep(&pb->buffer);
  avio_context_free(&pb);
  return 0;
}

// BT.601 limited range ("TV" levels), in integers.
std::uint8_t lumaOf(int r, int g, int b) {
  return static_cast<std::uint8_t>(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
}
std::uint8_t blueDiffOf(int r, int g, int b) {
  return static_cast<std::uint8_t>(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
}
std::uint8_t redDiffOf(int r, int g, int b) {
  return static_cast<std::uint8_t>(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
}

// Fills `frame` (YUV420P, the canvas's even size) from the canvas; each
// chroma sample is the mean of its 2×2 pixels.
void convertToYuv420(const Canvas& canvas, AVFrame* frame) {
  const int w = canvas.width();
  const int h = canvas.height();
  const std::uint8_t* rgb = canvas.rgb().data();
  for (int y = 0; y < h; ++y) {
    const std::uint8_t* p = rgb + static_cast<std::size_t>(y) * w * 3;
    std::uint8_t* luma = frame->data[0] + static_cast<std::ptrdiff_t>(y) * frame->linesize[0];
    for (int x = 0; x < w; ++x, p += 3) luma[x] = lumaOf(p[0], p[1], p[2]);
  }
  for (int y = 0; y < h / 2; ++y) {
    const std::uint8_t* top = rgb + static_cast<std::size_t>(2 * y) * w * 3;
    const std::uint8_t* bottom = top + static_cast<std::size_t>(w) * 3;
    std::uint8_t* cb = frame->data[1] + static_cast<std::ptrdiff_t>(y) * frame->linesize[1];
    std::uint8_t* cr = frame->data[2] + static_cast<std::ptrdiff_t>(y) * frame->linesize[2];
    for (int x = 0; x < w / 2; ++x) {
      const std::size_t i = static_cast<std::size_t>(x) * 6;
      const int r = (top[i] + top[i + 3] + bottom[i] + bottom[i + 3] + 2) / 4;
      const int g = (top[i + 1] + top[i + 4] + bottom[i + 1] + bottom[i + 4] + 2) / 4;
      const int b = (top[i + 2] + top[i + 5] + bottom[i + 2] + bottom[i + 5] + 2) / 4;
      cb[x] = blueDiffOf(r, g, b);
      cr[x] = redDiffOf(r, g, b);
    }
  }
}

}  // namespace

struct Mp4Writer::State {
  MemoryFile file;
  AVFormatContext* format = nullptr;
  AVIOContext* io = nullptr;  // writes into `file`
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;  // owned by `format`
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  std::int64_t next_pts = 0;

  ~State() {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_free_context(format);  // a custom `io` is left to us
    if (io != nullptr) {
      av_freep(&io->buffer);
      avio_context_free(&io);
    }
  }

  // Sends `input` (nullptr: end of stream) and muxes every packet that is ready.
  void encode(const AVFrame* input) {
    check(avcodec_send_frame(codec, input), "cannot send a frame to the encoder");
    while (true) {
      const int ret = avcodec_receive_packet(codec, packet);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      check(ret, "the encoder failed");
      if (packet->duration == 0) packet->duration = 1;  // one frame, in codec->time_base
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      check(av_interleaved_write_frame(format, packet), "cannot write a packet");
    }
  }
};

Mp4Writer::Mp4Writer(int width, int height, int fps) : state_(std::make_unique<State>()) {
  if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0 || fps <= 0) {
    throw std::runtime_error("mp4: the frame size must be positive and even, fps positive");
  }
  // libx264 prints statistics at the default level; the gateway's log is not the place.
  av_log_set_level(AV_LOG_ERROR);
  State& s = *state_;

  const AVCodec* encoder = avcodec_find_encoder_by_name("libx264");
  if (encoder == nullptr) throw std::runtime_error("mp4: this libavcodec has no libx264 encoder");
  s.codec = avcodec_alloc_context3(encoder);
  if (s.codec == nullptr) throw std::runtime_error("mp4: cannot allocate the encoder");
  s.codec->width = width;
  s.codec->height = height;
  s.codec->time_base = AVRational{1, fps};
  s.codec->framerate = AVRational{fps, 1};
  s.codec->pix_fmt = AV_PIX_FMT_YUV420P;
  s.codec->gop_size = fps;
  s.codec->thread_count = 1;
  s.codec->color_range = AVCOL_RANGE_MPEG;
  s.codec->colorspace = AVCOL_SPC_SMPTE170M;
  s.codec->color_primaries = AVCOL_PRI_SMPTE170M;
  s.codec->color_trc = AVCOL_TRC_SMPTE170M;

  check(avformat_alloc_output_context2(&s.format, nullptr, "mp4", "memory.mp4"),
        "cannot create the MP4 muxer");
  if ((s.format->oformat->flags & AVFMT_GLOBALHEADER) != 0) {
    s.codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  AVDictionary* codec_options = nullptr;
  av_dict_set(&codec_options, "preset", "veryfast", 0);
  av_dict_set(&codec_options, "crf", "23", 0);
  const int opened = avcodec_open2(s.codec, encoder, &codec_options);
  av_dict_free(&codec_options);
  check(opened, "cannot open the libx264 encoder");

  s.stream = avformat_new_stream(s.format, nullptr);
  if (s.stream == nullptr) throw std::runtime_error("mp4: cannot add a video stream");
  s.stream->time_base = s.codec->time_base;
  s.stream->avg_frame_rate = s.codec->framerate;
  check(avcodec_parameters_from_context(s.stream->codecpar, s.codec),
        "cannot copy the encoder's parameters");

  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) throw std::runtime_error("mp4: out of memory");
  s.io = avio_alloc_context(buffer, kIoBufferSize, 1, &s.file, nullptr, &writeFile, &seekFile);
  if (s.io == nullptr) {
    av_free(buffer);
    throw std::runtime_error("mp4: cannot create the output context");
  }
  s.format->pb = s.io;
  s.format->flags |= AVFMT_FLAG_CUSTOM_IO;
  s.format->opaque = &s.file;
  s.format->io_open = &openForReading;
  s.format->io_close2 = &closeReader;

  AVDictionary* muxer_options = nullptr;
  av_dict_set(&muxer_options, "movflags", "+faststart", 0);
  const int written = avformat_write_header(s.format, &muxer_options);
  av_dict_free(&muxer_options);
  check(written, "cannot write the MP4 header");

  s.frame = av_frame_alloc();
  s.packet = av_packet_alloc();
  if (s.frame == nullptr || s.packet == nullptr) throw std::runtime_error("mp4: out of memory");
  s.frame->format = AV_PIX_FMT_YUV420P;
  s.frame->width = width;
  s.frame->height = height;
  check(av_frame_get_buffer(s.frame, 0), "cannot allocate a frame");
}

Mp4Writer::~Mp4Writer() = default;

void Mp4Writer::addFrame(const Canvas& frame) {
  State& s = *state_;
  if (frame.width() != s.codec->width || frame.height() != s.codec->height) {
    throw std::runtime_error("mp4: a frame of the wrong size");
  }
  check(av_frame_make_writable(s.frame), "cannot write to the frame");
  convertToYuv420(frame, s.frame);
  s.frame->pts = s.next_pts++;
  s.encode(s.frame);
}

std::string Mp4Writer::finish() {
  State& s = *state_;
  s.encode(nullptr);
  check(av_write_trailer(s.format), "cannot finish the MP4 file");
  avio_flush(s.io);
  return std::move(s.file.bytes);
}

}  // namespace aigate::plugins::local
