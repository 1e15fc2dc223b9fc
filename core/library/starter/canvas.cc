#include "canvas.h"

#include <algorithm>
#include <cmath>

namespace aigate::starter {

namespace {

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

double distanceToSegment(Point p, Point a, Point b) {
  const double dx = b.x - a.x;
  const double dy = b.y - a.y;
  const double lengthSq = dx * dx + dy * dy;
  double t = lengthSq > 0.0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSq : 0.0;
  t = clamp01(t);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

// Length of [a0, a1) intersected with [b0, b1).
double overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

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

Paint linearGradient(Point from, Point to, std::vector<Rgb> stops) {
  const double dx = to.x - from.x;
  const double dy = to.y - from.y;
  const double lengthSq = std::max(1e-9, dx * dx + dy * dy);
  return Paint([from, dx, dy, lengthSq, stops = std::move(stops)](double x, double y) {
    if (stops.size() < 2) return stops.empty() ? Rgb{} : stops.front();
    const double t = clamp01(((x - from.x) * dx + (y - from.y) * dy) / lengthSq) * (stops.size() - 1);
    const auto i = std::min(static_cast<std::size_t>(t), stops.size() - 2);
    return mix(stops[i], stops[i + 1], t - static_cast<double>(i));
  });
}

Canvas::Canvas(int width, int height)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height * 3, 0.0f) {}

std::vector<std::uint8_t> Canvas::rgb24() const {
  std::vector<std::uint8_t> out(pixels_.size());
  for (std::size_t i = 0; i < pixels_.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::lround(clamp01(pixels_[i]) * 255.0));
  }
  return out;
}

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
  for (int y = iy0; y < iy1; ++y) {
    for (int x = ix0; x < ix1; ++x) {
      const double cx = x + 0.5;
      const double cy = y + 0.5;
      const double c = coverage(cx, cy);
      if (c > 0.0) blend(x, y, paint.at(cx, cy), c * alpha);
    }
  }
}

void Canvas::fill(const Paint& paint) {
  paintRegion(0, 0, width_, height_, [](double, double) { return 1.0; }, paint, 1.0);
}

void Canvas::fillGlow(Point centre, double radius, Rgb colour, double alpha) {
  paintRegion(
      centre.x - radius, centre.y - radius, centre.x + radius, centre.y + radius,
      [&](double x, double y) {
        const double f = 1.0 - std::hypot(x - centre.x, y - centre.y) / radius;
        return f > 0.0 ? f * f : 0.0;
      },
      colour, alpha);
}

void Canvas::fillRect(double x0, double y0, double x1, double y1, const Paint& paint, double alpha) {
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
  const double r = std::min({radius, (x1 - x0) / 2, (y1 - y0) / 2});
  const double hx = (x1 - x0) / 2 - r;
  const double hy = (y1 - y0) / 2 - r;
  paintRegion(
      x0 - 1, y0 - 1, x1 + 1, y1 + 1,
      [&](double x, double y) {
        const double qx = std::abs(x - cx) - hx;
        const double qy = std::abs(y - cy) - hy;
        const double outside = std::hypot(std::max(qx, 0.0), std::max(qy, 0.0));
        const double d = outside + std::min(std::max(qx, qy), 0.0) - r;
        return clamp01(0.5 - d);
      },
      paint, alpha);
}

void Canvas::fillCircle(Point centre, double radius, const Paint& paint, double alpha) {
  paintRegion(
      centre.x - radius - 1, centre.y - radius - 1, centre.x + radius + 1, centre.y + radius + 1,
      [&](double x, double y) {
        return clamp01(radius - std::hypot(x - centre.x, y - centre.y) + 0.5);
      },
      paint, alpha);
}

void Canvas::fillRing(Point centre, double inner, double outer, const Paint& paint, double alpha) {
  paintRegion(
      centre.x - outer - 1, centre.y - outer - 1, centre.x + outer + 1, centre.y + outer + 1,
      [&](double x, double y) {
        const double d = std::hypot(x - centre.x, y - centre.y);
        return std::min(clamp01(outer - d + 0.5), clamp01(d - inner + 0.5));
      },
      paint, alpha);
}

void Canvas::fillEllipse(Point centre, double rx, double ry, double angle, const Paint& paint,
                         double alpha) {
  const double c = std::cos(angle);
  const double s = std::sin(angle);
  const double reach = std::max(rx, ry) + 1;
  paintRegion(
      centre.x - reach, centre.y - reach, centre.x + reach, centre.y + reach,
      [&](double x, double y) {
        const double dx = x - centre.x;
        const double dy = y - centre.y;
        const double lx = dx * c + dy * s;
        const double ly = -dx * s + dy * c;
        const double g = lx * lx / (rx * rx) + ly * ly / (ry * ry) - 1.0;
        const double gx = 2 * lx / (rx * rx);
        const double gy = 2 * ly / (ry * ry);
        const double gradient = std::hypot(gx, gy);
        if (gradient < 1e-9) return 1.0;
        return clamp01(0.5 - g / gradient);
      },
      paint, alpha);
}

void Canvas::fillPolygon(const std::vector<Point>& points, const Paint& paint, double alpha) {
  if (points.size() < 3) return;
  double minX = points[0].x, maxX = points[0].x, minY = points[0].y, maxY = points[0].y;
  for (const Point& p : points) {
    minX = std::min(minX, p.x);
    maxX = std::max(maxX, p.x);
    minY = std::min(minY, p.y);
    maxY = std::max(maxY, p.y);
  }
  const int ix0 = std::max(0, static_cast<int>(std::floor(minX)));
  const int ix1 = std::min(width_, static_cast<int>(std::ceil(maxX)) + 1);
  const int iy0 = std::max(0, static_cast<int>(std::floor(minY)));
  const int iy1 = std::min(height_, static_cast<int>(std::ceil(maxY)) + 1);
  if (ix0 >= ix1 || iy0 >= iy1) return;

  constexpr int kSubRows = 4;
  constexpr double kWeight = 1.0 / kSubRows;
  std::vector<double> coverage(static_cast<std::size_t>(ix1 - ix0));
  std::vector<double> crossings;
  for (int y = iy0; y < iy1; ++y) {
    std::fill(coverage.begin(), coverage.end(), 0.0);
    for (int sub = 0; sub < kSubRows; ++sub) {
      const double sy = y + (sub + 0.5) * kWeight;
      crossings.clear();
      for (std::size_t i = 0; i < points.size(); ++i) {
        const Point& a = points[i];
        const Point& b = points[(i + 1) % points.size()];
        if ((a.y <= sy && sy < b.y) || (b.y <= sy && sy < a.y)) {
          crossings.push_back(a.x + (sy - a.y) * (b.x - a.x) / (b.y - a.y));
        }
      }
      std::sort(crossings.begin(), crossings.end());
      for (std::size_t i = 0; i + 1 < crossings.size(); i += 2) {
        const double xa = std::max(crossings[i], static_cast<double>(ix0));
        const double xb = std::min(crossings[i + 1], static_cast<double>(ix1));
        if (xb <= xa) continue;
        const int ca = static_cast<int>(std::floor(xa));
        const int cb = static_cast<int>(std::floor(xb));
        if (ca == cb) {
          coverage[ca - ix0] += (xb - xa) * kWeight;
          continue;
        }
        coverage[ca - ix0] += (ca + 1 - xa) * kWeight;
        for (int x = ca + 1; x < cb; ++x) coverage[x - ix0] += kWeight;
        if (cb < ix1) coverage[cb - ix0] += (xb - cb) * kWeight;
      }
    }
    for (int x = ix0; x < ix1; ++x) {
      const double c = std::min(1.0, coverage[x - ix0]);
      if (c > 0.0) blend(x, y, paint.at(x + 0.5, y + 0.5), c * alpha);
    }
  }
}

void Canvas::strokeLine(Point a, Point b, double width, const Paint& paint, double alpha) {
  strokePolyline({a, b}, width, paint, alpha);
}

void Canvas::strokePolyline(const std::vector<Point>& points, double width, const Paint& paint,
                            double alpha) {
  if (points.size() < 2) return;
  const double half = width / 2;
  double minX = points[0].x, maxX = points[0].x, minY = points[0].y, maxY = points[0].y;
  for (const Point& p : points) {
    minX = std::min(minX, p.x);
    maxX = std::max(maxX, p.x);
    minY = std::min(minY, p.y);
    maxY = std::max(maxY, p.y);
  }
  paintRegion(
      minX - half - 1, minY - half - 1, maxX + half + 1, maxY + half + 1,
      [&](double x, double y) {
        double best = 1e30;
        for (std::size_t i = 0; i + 1 < points.size(); ++i) {
          best = std::min(best, distanceToSegment({x, y}, points[i], points[i + 1]));
        }
        return clamp01(half - best + 0.5);
      },
      paint, alpha);
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
