/* hotspot.c - weighted DBSCAN over grid cells (see hotspot.h).
 *
 * Neighbour search: cell positions are bucketed on a grid of side eps, so
 * every neighbour of a cell lies in the 3 x 3 buckets around its own. The
 * (bucket, cell) pairs are sorted once; a bucket's cells are found by binary
 * search. Cost O(n log n + n * k), k = cells in the 9 buckets. */
#include "estd/hotspot.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

double est_hotspot_cell_size(double eps) { return eps / 4.0; }

/* The neighbour search: cells are grouped by buckets of side eps (a
 * cell's neighbours lie in its own bucket and the 8 around it); buckets[]
 * lists the distinct buckets in (bx, by) order with their cells in
 * order[start .. end), and nb[9 * b + k] is the k-th neighbour bucket of
 * bucket b (dx, dy = -1 .. 1, in that order; -1: empty), found once per
 * bucket instead of once per cell and pass. */
typedef struct bucket {
  long long bx, by;
  size_t start, end;
} bucket;

typedef struct cell_at {
  long long bx, by;
  size_t i;
} cell_at;

static int cmp_cell_at(const void *a, const void *b) {
  const cell_at *x = a, *y = b;
  if (x->bx != y->bx) return x->bx < y->bx ? -1 : 1;
  if (x->by != y->by) return x->by < y->by ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

typedef struct grid {
  double *px, *py;   /* cell positions (centroids) */
  size_t *order;     /* cell indices grouped by bucket */
  size_t *bucket_of; /* cell -> its bucket */
  bucket *buckets;
  long *nb; /* 9 per bucket */
  size_t nbuckets;
  double eps2;
} grid;

static long long bucket_coord(double v, double eps) { return (long long)floor(v / eps); }

/* The bucket (bx, by) among g's, or -1. */
static long find_bucket(const grid *g, long long bx, long long by) {
  size_t lo = 0, hi = g->nbuckets;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const bucket *b = &g->buckets[mid];
    if (b->bx < bx || (b->bx == bx && b->by < by)) lo = mid + 1;
    else hi = mid;
  }
  return lo < g->nbuckets && g->buckets[lo].bx == bx && g->buckets[lo].by == by ? (long)lo : -1;
}

static bool grid_build(grid *g, const est_hs_cell *cells, size_t n, double eps) {
  *g = (grid){.eps2 = eps * eps};
  g->px = malloc(n * sizeof *g->px);
  g->py = malloc(n * sizeof *g->py);
  g->order = malloc(n * sizeof *g->order);
  g->bucket_of = malloc(n * sizeof *g->bucket_of);
  g->buckets = malloc(n * sizeof *g->buckets);
  cell_at *at = malloc(n * sizeof *at);
  if (!g->px || !g->py || !g->order || !g->bucket_of || !g->buckets || !at) {
    free(at);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    double cnt = cells[i].n > 0 ? (double)cells[i].n : 1.0;
    g->px[i] = cells[i].sx / cnt;
    g->py[i] = cells[i].sy / cnt;
    at[i] = (cell_at){bucket_coord(g->px[i], eps), bucket_coord(g->py[i], eps), i};
  }
  qsort(at, n, sizeof *at, cmp_cell_at);
  for (size_t k = 0; k < n; k++) {
    if (k == 0 || at[k].bx != at[k - 1].bx || at[k].by != at[k - 1].by)
      g->buckets[g->nbuckets++] = (bucket){at[k].bx, at[k].by, k, k};
    g->buckets[g->nbuckets - 1].end = k + 1;
    g->order[k] = at[k].i;
    g->bucket_of[at[k].i] = g->nbuckets - 1;
  }
  free(at);
  g->nb = malloc(9 * g->nbuckets * sizeof *g->nb);
  if (!g->nb) return false;
  for (size_t b = 0; b < g->nbuckets; b++)
    for (int dx = -1, k = 0; dx <= 1; dx++)
      for (int dy = -1; dy <= 1; dy++, k++)
        g->nb[9 * b + (size_t)k] = find_bucket(g, g->buckets[b].bx + dx, g->buckets[b].by + dy);
  return true;
}

static void grid_free(grid *g) {
  free(g->px);
  free(g->py);
  free(g->order);
  free(g->bucket_of);
  free(g->buckets);
  free(g->nb);
}

/* The candidate neighbours of a cell: the cells of its bucket's nine
 * neighbour buckets, in order (nb_next gives each; near() tells the
 * neighbours among them). */
typedef struct nb_iter {
  const grid *g;
  const long *nb;
  size_t i, r, end;
  int k;
} nb_iter;

static nb_iter nb_begin(const grid *g, size_t i) { return (nb_iter){g, &g->nb[9 * g->bucket_of[i]], i, 0, 0, 0}; }

static bool nb_next(nb_iter *it, size_t *j) {
  while (it->r == it->end) {
    if (it->k == 9) return false;
    long b = it->nb[it->k++];
    if (b >= 0) {
      it->r = it->g->buckets[b].start;
      it->end = it->g->buckets[b].end;
    }
  }
  *j = it->g->order[it->r++];
  return true;
}

/* Whether cells i and j are neighbours (positions at most eps apart). */
static bool near(const grid *g, size_t i, size_t j) {
  double ex = g->px[j] - g->px[i], ey = g->py[j] - g->py[i];
  return ex * ex + ey * ey <= g->eps2;
}

/* Whether the summed count of cell i's neighbours (itself included)
 * reaches min_points; stops counting once it does. */
static bool is_core(const grid *g, const est_hs_cell *cells, size_t i, long long min_points) {
  long long w = 0;
  size_t j;
  for (nb_iter it = nb_begin(g, i); nb_next(&it, &j);)
    if (near(g, i, j) && (w += cells[j].n) >= min_points) return true;
  return w >= min_points;
}

/* Labels cid on every unlabelled neighbour of cell i, queueing the core ones
 * (border cells join but do not spread). */
static void expand(const grid *g, const bool *core, int *label, size_t i, int cid, size_t *queue, size_t *tail) {
  size_t j;
  for (nb_iter it = nb_begin(g, i); nb_next(&it, &j);) {
    if (label[j] != -1 || !near(g, i, j)) continue;
    label[j] = cid;
    if (core[j]) queue[(*tail)++] = j;
  }
}

typedef struct cl_order {
  long long w;
  int first, cid;
} cl_order;

static int cmp_cl(const void *a, const void *b) {
  const cl_order *x = a, *y = b;
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  return x->first - y->first;
}

int est_hotspot_cluster(const est_hs_cell *cells, size_t n, double eps, long long min_points, int *label,
                        long long **weight) {
  if (weight) *weight = NULL;
  if (!(eps > 0) || (n > 0 && (!cells || !label))) return -1;
  if (n == 0) return 0;
  grid g;
  bool built = grid_build(&g, cells, n, eps);
  bool *core = malloc(n * sizeof(bool));
  size_t *queue = malloc(n * sizeof(size_t));
  int nclusters = -1;
  cl_order *order = NULL;
  int *renum = NULL;
  if (!built || !core || !queue) goto done;
  for (size_t i = 0; i < n; i++) {
    core[i] = is_core(&g, cells, i, min_points);
    label[i] = -1;
  }
  int cid = 0;
  for (size_t i = 0; i < n; i++) {
    if (!core[i] || label[i] != -1) continue;
    size_t head = 0, tail = 0;
    label[i] = cid;
    queue[tail++] = i;
    while (head < tail) expand(&g, core, label, queue[head++], cid, queue, &tail);
    cid++;
  }
  /* Renumber: most incidents first, ties by first cell. */
  order = calloc(cid ? (size_t)cid : 1, sizeof *order);
  renum = malloc((cid ? (size_t)cid : 1) * sizeof *renum);
  if (!order || !renum) goto done;
  for (int c = 0; c < cid; c++) {
    order[c].cid = c;
    order[c].first = -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (label[i] < 0) continue;
    cl_order *o = &order[label[i]];
    o->w += cells[i].n;
    if (o->first < 0) o->first = (int)i;
  }
  qsort(order, (size_t)cid, sizeof *order, cmp_cl);
  for (int c = 0; c < cid; c++) renum[order[c].cid] = c;
  for (size_t i = 0; i < n; i++)
    if (label[i] >= 0) label[i] = renum[label[i]];
  if (weight && cid > 0) {
    *weight = malloc((size_t)cid * sizeof **weight);
    if (!*weight) goto done;
    for (int c = 0; c < cid; c++) (*weight)[c] = order[c].w;
  }
  nclusters = cid;
done:
  grid_free(&g);
  free(core);
  free(queue);
  free(order);
  free(renum);
  return nclusters;
}

/* ---- convex hull ------------------------------------------------------------ */

static int cmp_xy(const void *a, const void *b) {
  const double *p = a, *q = b;
  if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
  if (p[1] != q[1]) return p[1] < q[1] ? -1 : 1;
  return 0;
}

/* The key of v whose unsigned order is v's numeric order (v not NaN; -0 and +0 the same key). */
static unsigned long long order_key(double v) {
  v += 0.0; /* -0 -> +0 */
  unsigned long long u;
  memcpy(&u, &v, sizeof u);
  return (u >> 63) ? ~u : u | (1ull << 63);
}

/* Sorts the n pairs xy[0..2n) as qsort with cmp_xy does (glibc's merge sort: stable, so equal
 * pairs keep their order): a stable LSD radix sort, y's bytes then x's, skipping the bytes all
 * keys share. tmp holds 2n doubles. */
static void radix_sort_xy(double *xy, size_t n, double *tmp) {
  for (int pass = 0; pass < 16; pass++) {
    int coord = pass < 8 ? 1 : 0, shift = 8 * (pass % 8);
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[((order_key(xy[2 * i + coord]) >> shift) & 0xff) + 1]++;
    bool one = false;
    for (int b = 1; b <= 256 && !one; b++) one = count[b] == n;
    if (one) continue;
    for (int b = 0; b < 256; b++) count[b + 1] += count[b];
    for (size_t i = 0; i < n; i++) {
      size_t d = count[(order_key(xy[2 * i + coord]) >> shift) & 0xff]++;
      tmp[2 * d] = xy[2 * i];
      tmp[2 * d + 1] = xy[2 * i + 1];
    }
    memcpy(xy, tmp, 2 * n * sizeof *xy);
  }
}

static double cross(const double *o, const double *a, const double *b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/* Whether p lies inside the triangle-or-quadrilateral q[0..4) (counter-
 * clockwise) by a margin far above the rounding error of the orientation
 * test (Shewchuk's bound is ~3.3e-16 of the terms' sum; this asks 1e-9):
 * such a point is no vertex of the hull, and no orientation test of the
 * monotone chain with it is close, so leaving it out changes nothing. */
static bool deep_inside(const double *q, const double *p) {
  for (int e = 0; e < 4; e++) {
    const double *a = &q[2 * e], *b = &q[2 * ((e + 1) % 4)];
    double t1 = (b[0] - a[0]) * (p[1] - a[1]), t2 = (b[1] - a[1]) * (p[0] - a[0]);
    if (!(t1 - t2 > 1e-9 * (fabs(t1) + fabs(t2)))) return false;
  }
  return true;
}

/* Akl-Toussaint: drops the points deep inside the quadrilateral of the
 * leftmost, lowest, rightmost and highest points (the first of each in
 * input order), keeping the others in order; returns how many remain. */
static size_t drop_interior(double *xy, size_t n) {
  size_t ext[4] = {0, 0, 0, 0}; /* min x, min y, max x, max y */
  for (size_t i = 1; i < n; i++) {
    if (xy[2 * i] < xy[2 * ext[0]]) ext[0] = i;
    if (xy[2 * i + 1] < xy[2 * ext[1] + 1]) ext[1] = i;
    if (xy[2 * i] > xy[2 * ext[2]]) ext[2] = i;
    if (xy[2 * i + 1] > xy[2 * ext[3] + 1]) ext[3] = i;
  }
  double q[8];
  for (int k = 0; k < 4; k++) {
    q[2 * k] = xy[2 * ext[k]];
    q[2 * k + 1] = xy[2 * ext[k] + 1];
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (deep_inside(q, &xy[2 * i])) continue;
    xy[2 * m] = xy[2 * i];
    xy[2 * m + 1] = xy[2 * i + 1];
    m++;
  }
  return m;
}

size_t est_convex_hull(double *xy, size_t n) {
  if (n == 0) return 0;
  if (n >= 64) n = drop_interior(xy, n);
  double *tmp = n >= 64 ? malloc(2 * n * sizeof *tmp) : NULL;
  if (tmp) radix_sort_xy(xy, n, tmp);
  else qsort(xy, n, 2 * sizeof(double), cmp_xy); /* few points (or no memory) */
  free(tmp);
  size_t m = 0; /* distinct points, compacted */
  for (size_t i = 0; i < n; i++) {
    if (m > 0 && xy[2 * (m - 1)] == xy[2 * i] && xy[2 * (m - 1) + 1] == xy[2 * i + 1]) continue;
    xy[2 * m] = xy[2 * i];
    xy[2 * m + 1] = xy[2 * i + 1];
    m++;
  }
  if (m < 3) return m;
  double *h = malloc(2 * (2 * m) * sizeof(double));
  if (!h) return m; /* out of memory: every point (a superset of the hull) */
  size_t k = 0;
  for (size_t i = 0; i < m; i++) { /* lower hull */
    while (k >= 2 && cross(&h[2 * (k - 2)], &h[2 * (k - 1)], &xy[2 * i]) <= 0) k--;
    h[2 * k] = xy[2 * i];
    h[2 * k + 1] = xy[2 * i + 1];
    k++;
  }
  for (size_t i = m - 1, t = k + 1; i-- > 0;) { /* upper hull */
    while (k >= t && cross(&h[2 * (k - 2)], &h[2 * (k - 1)], &xy[2 * i]) <= 0) k--;
    h[2 * k] = xy[2 * i];
    h[2 * k + 1] = xy[2 * i + 1];
    k++;
  }
  k--;              /* the last point repeats the first */
  if (k < 2) k = 2; /* all collinear: the two extremes */
  memcpy(xy, h, 2 * k * sizeof(double));
  free(h);
  return k;
}

/* ---- from incidents to hot spots ------------------------------------------ */

/* Cells of the points, found by an open-addressing hash of (cx, cy): every
 * point is added to its cell in input order (so each cell's sums are those
 * of its points in input order), then only the cells are sorted by
 * (cx, cy). Same cells and sums as sorting every point by (cx, cy, i), at
 * a fraction of the cost: there are far fewer cells than points. */
typedef struct cell_ref {
  est_hs_cell c;
  size_t old; /* index before sorting */
} cell_ref;

static int cmp_cell(const void *a, const void *b) {
  const est_hs_cell *x = &((const cell_ref *)a)->c, *y = &((const cell_ref *)b)->c;
  if (x->cx != y->cx) return x->cx < y->cx ? -1 : 1;
  return x->cy < y->cy ? -1 : x->cy > y->cy;
}

static size_t cell_hash(long long cx, long long cy) {
  unsigned long long h =
      (unsigned long long)cx * 0x9E3779B97F4A7C15ull ^ (unsigned long long)cy * 0xC2B2AE3D27D4EB4Full;
  return (size_t)(h ^ (h >> 29));
}

/* Fills cells (sorted by (cx, cy)) and pt_cell[i] (the cell of point i);
 * returns the number of cells, or 0 on allocation failure (n > 0). */
static size_t snap_to_cells(const est_hs_point *pts, size_t n, double cell, est_hs_cell *cells, size_t *pt_cell) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  size_t *slot = malloc(cap * sizeof *slot); /* cell index + 1; 0 = empty */
  size_t *perm = NULL;
  size_t nc = 0;
  if (!slot) return 0;
  memset(slot, 0, cap * sizeof *slot);
  for (size_t i = 0; i < n; i++) {
    long long cx = (long long)floor(pts[i].x / cell), cy = (long long)floor(pts[i].y / cell);
    size_t h = cell_hash(cx, cy) & (cap - 1);
    while (slot[h] && (cells[slot[h] - 1].cx != cx || cells[slot[h] - 1].cy != cy)) h = (h + 1) & (cap - 1);
    if (!slot[h]) {
      est_hs_cell c = {cx, cy, 0, 0, 0};
      cells[nc++] = c;
      slot[h] = nc;
    }
    est_hs_cell *c = &cells[slot[h] - 1];
    c->n++;
    c->sx += pts[i].x;
    c->sy += pts[i].y;
    pt_cell[i] = slot[h] - 1;
  }
  /* Sort the cells; perm maps each old index to its new one. */
  cell_ref *sorted = malloc(nc * sizeof *sorted);
  perm = malloc(nc * sizeof *perm);
  if (!sorted || !perm) {
    free(sorted);
    free(perm);
    free(slot);
    return 0;
  }
  for (size_t c = 0; c < nc; c++) sorted[c] = (cell_ref){cells[c], c};
  qsort(sorted, nc, sizeof *sorted, cmp_cell);
  for (size_t c = 0; c < nc; c++) {
    cells[c] = sorted[c].c;
    perm[sorted[c].old] = c;
  }
  free(sorted);
  for (size_t i = 0; i < n; i++) pt_cell[i] = perm[pt_cell[i]];
  free(perm);
  free(slot);
  return nc;
}

void est_hotspot_clusters_free(est_hs_cluster *c, int n) {
  if (!c) return;
  for (int i = 0; i < n; i++) {
    free(c[i].cat_counts);
    free(c[i].cat_ck);
    free(c[i].hull);
  }
  free(c);
}

int est_hotspot_points(const est_hs_point *pts, size_t n, double eps, long long min_points, int max_clusters, int ncat,
                       est_hs_cluster **out) {
  *out = NULL;
  if (!(eps > 0) || max_clusters < 0 || ncat < 0 || (n > 0 && !pts)) return -1;
  if (n == 0 || max_clusters == 0) return 0;
  double cell = est_hotspot_cell_size(eps);
  est_hs_cell *cells = malloc(n * sizeof *cells);
  size_t *pt_cell = malloc(n * sizeof *pt_cell);
  int *label = malloc(n * sizeof *label);
  size_t *fill = NULL;
  double *xy = NULL;
  est_hs_cluster *cl = NULL;
  int k = -1, kept = 0;
  if (!cells || !pt_cell || !label) goto done;
  size_t nc = snap_to_cells(pts, n, cell, cells, pt_cell);
  if (nc == 0) goto done;
  k = est_hotspot_cluster(cells, nc, eps, min_points, label, NULL);
  if (k <= 0) goto done;
  kept = k < max_clusters ? k : max_clusters;
  cl = calloc((size_t)kept, sizeof *cl);
  fill = calloc((size_t)kept + 1, sizeof *fill);
  if (!cl || !fill) {
    k = -1;
    goto done;
  }
  for (int c = 0; c < kept; c++) {
    cl[c].cat_counts = calloc(ncat ? (size_t)ncat : 1, sizeof(long long));
    cl[c].cat_ck = calloc(ncat ? (size_t)ncat : 1, sizeof(unsigned));
    if (!cl[c].cat_counts || !cl[c].cat_ck) {
      k = -1;
      goto done;
    }
  }
  /* Count, sums and categories; then the points of each cluster, grouped
   * (counting sort by cluster) for the hulls. */
  for (size_t i = 0; i < n; i++) {
    int c = label[pt_cell[i]];
    if (c < 0 || c >= kept) continue;
    cl[c].n++;
    cl[c].cx += pts[i].x;
    cl[c].cy += pts[i].y;
    cl[c].ck = (cl[c].ck + (pts[i].rk & 0x7fffffffu)) & 0x7fffffffu;
    if (pts[i].cat >= 0 && pts[i].cat < ncat) {
      cl[c].cat_counts[pts[i].cat]++;
      cl[c].cat_ck[pts[i].cat] = (cl[c].cat_ck[pts[i].cat] + (pts[i].rk & 0x7fffffffu)) & 0x7fffffffu;
    }
  }
  size_t total = 0;
  for (int c = 0; c < kept; c++) {
    fill[c] = total;
    total += (size_t)cl[c].n;
  }
  xy = malloc((total ? total : 1) * 2 * sizeof(double));
  if (!xy) {
    k = -1;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    int c = label[pt_cell[i]];
    if (c < 0 || c >= kept) continue;
    xy[2 * fill[c]] = pts[i].x;
    xy[2 * fill[c] + 1] = pts[i].y;
    fill[c]++;
  }
  for (int c = 0, start = 0; c < kept; start += (int)cl[c].n, c++) {
    double *p = &xy[2 * (size_t)start];
    size_t h = est_convex_hull(p, (size_t)cl[c].n);
    cl[c].hull = malloc((h ? h : 1) * 2 * sizeof(double));
    if (!cl[c].hull) {
      k = -1;
      goto done;
    }
    memcpy(cl[c].hull, p, h * 2 * sizeof(double));
    cl[c].hull_n = h;
    cl[c].cx /= (double)cl[c].n;
    cl[c].cy /= (double)cl[c].n;
  }
done:
  free(cells);
  free(pt_cell);
  free(label);
  free(fill);
  free(xy);
  if (k < 0) {
    est_hotspot_clusters_free(cl, kept);
    return -1;
  }
  *out = cl;
  return k > 0 ? kept : 0;
}

/* est_hotspot_unpack copies the big-endian bit patterns into doubles. */
#if !defined(__STDC_IEC_559__)
#error "est_hotspot_unpack needs IEEE 754 binary64 doubles"
#endif
_Static_assert(sizeof(double) == sizeof(unsigned long long) && sizeof(double) == 8, "binary64 doubles");

static unsigned long long be_bytes(const unsigned char *p, int n) {
  unsigned long long v = 0;
  for (int k = 0; k < n; k++) v = v << 8 | p[k];
  return v;
}

long long est_hotspot_unpack(const unsigned char *buf, size_t len, est_hs_point *out) {
  if (len < 4 || (len - 4) % EST_HS_PACKED) return -1;
  unsigned long long ord = be_bytes(buf, 4);
  int cat = ord < EST_HS_MAX_CATEGORIES ? (int)ord : -1;
  size_t n = (len - 4) / EST_HS_PACKED;
  buf += 4;
  for (size_t i = 0; i < n; i++, buf += EST_HS_PACKED) {
    unsigned long long bx = be_bytes(buf, 8), by = be_bytes(buf + 8, 8);
    memcpy(&out[i].x, &bx, sizeof out[i].x);
    memcpy(&out[i].y, &by, sizeof out[i].y);
    out[i].cat = cat;
    out[i].rk = (unsigned)be_bytes(buf + 16, 4) & 0x7fffffffu;
  }
  return (long long)n;
}
