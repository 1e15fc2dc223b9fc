#include "canvas.h"

#include <algorithm>
#include <cmath>

namespace aigate::starter {

namespace {

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double length(double dx, double dy) { return std::sqrt(dx * dx + dy * dy); }

// Length of [a0, a1) intersected with [b0, b1).
double overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

struct Edge {
  double x0, y0, y1, slope;  // y0 < y1; x at y is x0 + (y - y0) * slope
};

}  // namespace

Rgb rgbHex(std::uint32_t hex) {
  return {((hex >> 16) & 0xFF) / 255.0, ((hex >> 8) & 0xFF) / 255.0, (hex & 0xFF) / 255.0};
}

Rgb mix(Rgb a, Rgb b, double t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

Rgb shade(Rgb c, double factor) { return {c.r * factor, c.g * factor, c.b * factor}; }

Point lerp(Point a, Point b, double t) { return {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t}; }

Point rotateAround(Point p, Point pivot, double radians) {
  const double c = std::cos(radians);
  const double s = std::sin(radians);
  const double dx = p.x - pivot.x;
  const double dy = p.y - pivot.y;
  return {pivot.x + dx * c - dy * s, pivot.y + dx * s + dy * c};
}

Paint Paint::linearGradient(Point from, Point to, std::vector<Rgb> stops) {
  Paint paint;
  if (stops.size() < 2) {
    paint.solid_ = stops.empty() ? Rgb{} : stops.front();
    return paint;
  }
  paint.stops_ = std::move(stops);
  paint.from_ = from;
  paint.dx_ = to.x - from.x;
  paint.dy_ = to.y - from.y;
  paint.inverseLengthSq_ = 1.0 / std::max(1e-9, paint.dx_ * paint.dx_ + paint.dy_ * paint.dy_);
  return paint;
}

Rgb Paint::at(double x, double y) const {
  if (shader_) return shader_(x, y);
  if (stops_.empty()) return solid_;
  const double segments = static_cast<double>(stops_.size() - 1);
  const double t =
      clamp01(((x - from_.x) * dx_ + (y - from_.y) * dy_) * inverseLengthSq_) * segments;
  const auto i = std::min(static_cast<std::size_t>(t), stops_.size() - 2);
  return mix(stops_[i], stops_[i + 1], t - static_cast<double>(i));
}

Canvas::Canvas(int width, int height)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height * 3, 0.0f) {}

std::vector<std::uint8_t> Canvas::rgb24() const {
  std::vector<std::uint8_t> out(pixels_.size());
  for (std::size_t i = 0; i < pixels_.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::clamp(pixels_[i], 0.0f, 1.0f) * 255.0f + 0.5f);
  }
  return out;
}

void Canvas::clear() { std::fill(pixels_.begin(), pixels_.end(), 0.0f); }

void Canvas::blend(int x, int y, Rgb colour, double alpha) {
  float* p = &pixels_[(static_cast<std::size_t>(y) * width_ + x) * 3];
  const auto a = static_cast<float>(alpha);
  p[0] += (static_cast<float>(colour.r) - p[0]) * a;
  p[1] += (static_cast<float>(colour.g) - p[1]) * a;
  p[2] += (static_cast<float>(colour.b) - p[2]) * a;
}

template <class CoverageFn>
void Canvas::paintRegion(double x0, double y0, double x1, double y1, CoverageFn&& coverage,
                         const Paint& paint, double alpha) {
  const int ix0 = std::max(0, static_cast<int>(std::floor(x0)));
  const int iy0 = std::max(0, static_cast<int>(std::floor(y0)));
  const int ix1 = std::min(width_, static_cast<int>(std::ceil(x1)));
  const int iy1 = std::min(height_, static_cast<int>(std::ceil(y1)));
  const bool rowConstant = paint.rowConstant();
  for (int y = iy0; y < iy1; ++y) {
    const double cy = y + 0.5;
    const Rgb rowColour = rowConstant ? paint.at(0.0, cy) : Rgb{};
    for (int x = ix0; x < ix1; ++x) {
      const double cx = x + 0.5;
      const double c = coverage(cx, cy);
      if (c > 0.0) blend(x, y, rowConstant ? rowColour : paint.at(cx, cy), c * alpha);
    }
  }
}

void Canvas::fill(const Paint& paint) {
  paintRegion(
      0, 0, width_, height_, [](double, double) { return 1.0; }, paint, 1.0);
}

void Canvas::fillGlow(Point centre, double radius, Rgb colour, double alpha) {
  const double inverse = 1.0 / radius;
  paintRegion(
      centre.x - radius, centre.y - radius, centre.x + radius, centre.y + radius,
      [&](double x, double y) {
        const double dSq = (x - centre.x) * (x - centre.x) + (y - centre.y) * (y - centre.y);
        if (dSq >= radius * radius) return 0.0;
        const double f = 1.0 - std::sqrt(dSq) * inverse;
        return f * f;
      },
      colour, alpha);
}

void Canvas::fillRect(double x0, double y0, double x1, double y1, const Paint& paint,
                      double alpha) {
  paintRegion(
      x0, y0, x1, y1,
      [&](double x, double y) {
        return overlap(x - 0.5, x + 0.5, x0, x1) * overlap(y - 0.5, y + 0.5, y0, y1);
      },
      paint, alpha);
}

void Canvas::fillRoundedRect(double x0, double y0, double x1, double y1, double radius,
                             const Paint& paint, double alpha) {
  const double cx = (x0 + x1) / 2;
  const double cy = (y0 + y1) / 2;
  const double r = std::max(0.0, std::min({radius, (x1 - x0) / 2, (y1 - y0) / 2}));
  const double hx = (x1 - x0) / 2 - r;
  const double hy = (y1 - y0) / 2 - r;
  paintRegion(
      x0 - 1, y0 - 1, x1 + 1, y1 + 1,
      [&](double x, double y) {
        const double qx = std::abs(x - cx) - hx;
        const double qy = std::abs(y - cy) - hy;
        const double outside = length(std::max(qx, 0.0), std::max(qy, 0.0));
        const double d = outside + std::min(std::max(qx, qy), 0.0) - r;
        return clamp01(0.5 - d);
      },
      paint, alpha);
}

void Canvas::fillCircle(Point centre, double radius, const Paint& paint, double alpha) {
  const double outerSq = (radius + 0.5) * (radius + 0.5);
  const double innerSq = radius > 0.5 ? (radius - 0.5) * (radius - 0.5) : 0.0;
  paintRegion(
      centre.x - radius - 1, centre.y - radius - 1, centre.x + radius + 1, centre.y + radius + 1,
      [&](double x, double y) {
        const double dSq = (x - centre.x) * (x - centre.x) + (y - centre.y) * (y - centre.y);
        if (dSq >= outerSq) return 0.0;
        if (dSq <= innerSq) return 1.0;
        return clamp01(radius - std::sqrt(dSq) + 0.5);
      },
      paint, alpha);
}

void Canvas::fillRing(Point centre, double inner, double outer, const Paint& paint, double alpha) {
  paintRegion(
      centre.x - outer - 1, centre.y - outer - 1, centre.x + outer + 1, centre.y + outer + 1,
      [&](double x, double y) {
        const double d = length(x - centre.x, y - centre.y);
        return std::min(clamp01(outer - d + 0.5), clamp01(d - inner + 0.5));
      },
      paint, alpha);
}

void Canvas::fillEllipse(Point centre, double rx, double ry, double angle, const Paint& paint,
                         double alpha) {
  const double c = std::cos(angle);
  const double s = std::sin(angle);
  const double reach = std::max(rx, ry) + 1;
  const double irx2 = 1.0 / (rx * rx);
  const double iry2 = 1.0 / (ry * ry);
  paintRegion(
      centre.x - reach, centre.y - reach, centre.x + reach, centre.y + reach,
      [&](double x, double y) {
        const double dx = x - centre.x;
        const double dy = y - centre.y;
        const double lx = dx * c + dy * s;
        const double ly = -dx * s + dy * c;
        const double g = lx * lx * irx2 + ly * ly * iry2 - 1.0;
        const double gradient = 2 * length(lx * irx2, ly * iry2);
        if (gradient < 1e-9) return 1.0;
        return clamp01(0.5 - g / gradient);
      },
      paint, alpha);
}

void Canvas::fillPolygon(const std::vector<Point>& points, const Paint& paint, double alpha) {
  if (points.size() < 3) return;
  std::vector<Edge> edges;
  double minX = points[0].x, maxX = points[0].x, minY = points[0].y, maxY = points[0].y;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Point& a = points[i];
    const Point& b = points[(i + 1) % points.size()];
    minX = std::min(minX, a.x);
    maxX = std::max(maxX, a.x);
    minY = std::min(minY, a.y);
    maxY = std::max(maxY, a.y);
    if (a.y == b.y) continue;
    const Point& top = a.y < b.y ? a : b;
    const Point& bottom = a.y < b.y ? b : a;
    edges.push_back({top.x, top.y, bottom.y, (bottom.x - top.x) / (bottom.y - top.y)});
  }
  const int ix0 = std::max(0, static_cast<int>(std::floor(minX)));
  const int ix1 = std::min(width_, static_cast<int>(std::ceil(maxX)) + 1);
  const int iy0 = std::max(0, static_cast<int>(std::floor(minY)));
  const int iy1 = std::min(height_, static_cast<int>(std::ceil(maxY)) + 1);
  if (ix0 >= ix1 || iy0 >= iy1) return;
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.y0 < b.y0; });

  constexpr int kSubRows = 4;
  constexpr double kWeight = 1.0 / kSubRows;
  std::vector<double> coverage(static_cast<std::size_t>(ix1 - ix0));
  std::vector<double> crossings;
  std::vector<const Edge*> active;
  std::size_t nextEdge = 0;
  const bool rowConstant = paint.rowConstant();
  for (int y = iy0; y < iy1; ++y) {
    while (nextEdge < edges.size() && edges[nextEdge].y0 < y + 1)
      active.push_back(&edges[nextEdge++]);
    std::erase_if(active, [y](const Edge* e) { return e->y1 <= y; });
    if (active.empty()) continue;
    int spanLo = ix1;
    int spanHi = ix0;
    for (int sub = 0; sub < kSubRows; ++sub) {
      const double sy = y + (sub + 0.5) * kWeight;
      crossings.clear();
      for (const Edge* e : active) {
        if (e->y0 <= sy && sy < e->y1) crossings.push_back(e->x0 + (sy - e->y0) * e->slope);
      }
      std::sort(crossings.begin(), crossings.end());
      for (std::size_t i = 0; i + 1 < crossings.size(); i += 2) {
        const double xa = std::max(crossings[i], static_cast<double>(ix0));
        const double xb = std::min(crossings[i + 1], static_cast<double>(ix1));
        if (xb <= xa) continue;
        const int ca = static_cast<int>(std::floor(xa));
        const int cb = static_cast<int>(std::floor(xb));
        spanLo = std::min(spanLo, ca);
        spanHi = std::max(spanHi, std::min(cb, ix1 - 1));
        if (ca == cb) {
          coverage[ca - ix0] += (xb - xa) * kWeight;
          continue;
        }
        coverage[ca - ix0] += (ca + 1 - xa) * kWeight;
        for (int x = ca + 1; x < cb; ++x) coverage[x - ix0] += kWeight;
        if (cb < ix1) coverage[cb - ix0] += (xb - cb) * kWeight;
      }
    }
    const Rgb rowColour = rowConstant ? paint.at(0.0, y + 0.5) : Rgb{};
    for (int x = spanLo; x <= spanHi; ++x) {
      double& cell = coverage[x - ix0];
      const double c = std::min(1.0, cell);
      cell = 0.0;
      if (c > 0.0) blend(x, y, rowConstant ? rowColour : paint.at(x + 0.5, y + 0.5), c * alpha);
    }
  }
}

void Canvas::strokeLine(Point a, Point b, double width, const Paint& paint, double alpha) {
  strokePolyline({a, b}, width, paint, alpha);
}

void Canvas::strokePolyline(const std::vector<Point>& points, double width, const Paint& paint,
                            double alpha) {
  if (points.size() < 2) return;
  if (scratch_.empty()) scratch_.assign(static_cast<std::size_t>(width_) * height_, 0.0f);
  const double half = width / 2;
  const double reach = half + 1.0;
  std::vector<int> rowLo(static_cast<std::size_t>(height_), width_);
  std::vector<int> rowHi(static_cast<std::size_t>(height_), -1);

  // Each segment writes max coverage into scratch_, visiting only pixels near it.
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    const Point a = points[i];
    const Point b = points[i + 1];
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    const double lengthSq = dx * dx + dy * dy;
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min(a.y, b.y) - reach)));
    const int y1 = std::min(height_ - 1, static_cast<int>(std::ceil(std::max(a.y, b.y) + reach)));
    for (int y = y0; y <= y1; ++y) {
      const double cy = y + 0.5;
      double tLo = 0.0;
      double tHi = 1.0;
      if (std::abs(dy) > 1e-9) {
        const double t0 = (cy - reach - a.y) / dy;
        const double t1 = (cy + reach - a.y) / dy;
        tLo = std::max(0.0, std::min(t0, t1));
        tHi = std::min(1.0, std::max(t0, t1));
        if (tLo > tHi) continue;
      }
      const double xa = a.x + dx * tLo;
      const double xb = a.x + dx * tHi;
      const int x0 = std::max(0, static_cast<int>(std::floor(std::min(xa, xb) - reach)));
      const int x1 = std::min(width_ - 1, static_cast<int>(std::ceil(std::max(xa, xb) + reach)));
      if (x0 > x1) continue;
      rowLo[y] = std::min(rowLo[y], x0);
      rowHi[y] = std::max(rowHi[y], x1);
      float* row = &scratch_[static_cast<std::size_t>(y) * width_];
      for (int x = x0; x <= x1; ++x) {
        const double px = x + 0.5 - a.x;
        const double py = cy - a.y;
        const double t = lengthSq > 0.0 ? clamp01((px * dx + py * dy) / lengthSq) : 0.0;
        const double c = clamp01(half - length(px - t * dx, py - t * dy) + 0.5);
        row[x] = std::max(row[x], static_cast<float>(c));
      }
    }
  }
  const bool rowConstant = paint.rowConstant();
  for (int y = 0; y < height_; ++y) {
    if (rowHi[y] < 0) continue;
    float* row = &scratch_[static_cast<std::size_t>(y) * width_];
    const Rgb rowColour = rowConstant ? paint.at(0.0, y + 0.5) : Rgb{};
    for (int x = rowLo[y]; x <= rowHi[y]; ++x) {
      if (row[x] > 0.0f) {
        blend(x, y, rowConstant ? rowColour : paint.at(x + 0.5, y + 0.5), row[x] * alpha);
        row[x] = 0.0f;
      }
    }
  }
}

void Canvas::reflectBelow(double waterline, Rgb tint, double tintAlpha) {
  const int start = std::max(0, static_cast<int>(std::ceil(waterline)));
  for (int y = start; y < height_; ++y) {
    const int source = static_cast<int>(std::lround(2 * waterline - y - 1));
    if (source < 0) continue;
    for (int x = 0; x < width_; ++x) {
      const float* s = &pixels_[(static_cast<std::size_t>(source) * width_ + x) * 3];
      const Rgb mirrored = mix({s[0], s[1], s[2]}, tint, tintAlpha);
      blend(x, y, mirrored, 1.0);
    }
  }
}

}  // namespace aigate::starter
