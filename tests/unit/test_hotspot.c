/* test_hotspot.c - weighted DBSCAN over grid cells (estd/hotspot.h).
 * Cells are given with their centroid (sx = x * n, sy = y * n); expected
 * labels worked out by hand in the comments. eps = 10 throughout unless said. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "estd/hotspot.h"

static est_hs_cell C(double x, double y, long long n) {
  est_hs_cell c = {(long long)(x / 2.5), (long long)(y / 2.5), n, x * (double)n, y * (double)n};
  return c;
}

static void test_cell_size(void **state) {
  (void)state;
  assert_true(est_hotspot_cell_size(150) == 37.5);
}

static void test_empty_and_invalid(void **state) {
  (void)state;
  int label[1];
  assert_int_equal(est_hotspot_cluster(NULL, 0, 10, 5, label, NULL), 0);
  est_hs_cell c = C(0, 0, 9);
  assert_int_equal(est_hotspot_cluster(&c, 1, 0, 5, label, NULL), -1);
}

/* One dense blob: 4 cells within 10 of each other, 2 incidents each (8 >= 5): one cluster. */
static void test_dense_blob(void **state) {
  (void)state;
  est_hs_cell cells[] = {C(0, 0, 2), C(3, 0, 2), C(0, 3, 2), C(3, 3, 2)};
  int label[4];
  long long *w;
  assert_int_equal(est_hotspot_cluster(cells, 4, 10, 5, label, &w), 1);
  for (int i = 0; i < 4; i++) assert_int_equal(label[i], 0);
  assert_int_equal(w[0], 8);
  free(w);
  /* min_points edge: 8 incidents, min_points 8 -> core; 9 -> nothing. */
  assert_int_equal(est_hotspot_cluster(cells, 4, 10, 8, label, NULL), 1);
  assert_int_equal(est_hotspot_cluster(cells, 4, 10, 9, label, NULL), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(label[i], -1);
}

/* A single heavy cell is a cluster by itself when its own count reaches min_points. */
static void test_single_heavy_cell(void **state) {
  (void)state;
  est_hs_cell cells[] = {C(0, 0, 5), C(100, 100, 4)};
  int label[2];
  assert_int_equal(est_hotspot_cluster(cells, 2, 10, 5, label, NULL), 1);
  assert_int_equal(label[0], 0);
  assert_int_equal(label[1], -1);
}

/* Two blobs: A = 6 incidents at x 0..3, B = 10 incidents at x 13..16. The gap (3 -> 13) is
 * exactly eps = 10, so the blobs touch: one cluster. With eps 9.9 they are two, and B (10)
 * ranks before A (6) although A comes first. */
static void test_two_blobs(void **state) {
  (void)state;
  est_hs_cell cells[] = {C(0, 0, 3), C(3, 0, 3), C(13, 0, 5), C(16, 0, 5)};
  int label[4];
  long long *w;
  assert_int_equal(est_hotspot_cluster(cells, 4, 10, 5, label, &w), 1);
  assert_int_equal(w[0], 16);
  free(w);
  assert_int_equal(est_hotspot_cluster(cells, 4, 9.9, 5, label, &w), 2);
  assert_int_equal(label[0], 1);
  assert_int_equal(label[1], 1);
  assert_int_equal(label[2], 0);
  assert_int_equal(label[3], 0);
  assert_int_equal(w[0], 10);
  assert_int_equal(w[1], 6);
  free(w);
}

/* Noise: scattered single incidents 20 apart (no cell has a neighbour). */
static void test_noise(void **state) {
  (void)state;
  est_hs_cell cells[] = {C(0, 0, 1), C(20, 0, 1), C(40, 0, 1), C(0, 20, 1), C(20, 20, 1)};
  int label[5];
  assert_int_equal(est_hotspot_cluster(cells, 5, 10, 2, label, NULL), 0);
  for (int i = 0; i < 5; i++) assert_int_equal(label[i], -1);
}

/* Border cells: K (4 incidents at 0,0), R (2 at -8,0), L (1 at 8,0), F (1 at 16,0); min_points 7.
 * K sums R + K + L = 7: core. R sums 6, L sums K + L + F = 6: not core, but within eps of K:
 * border cells of K's cluster. F sums L + F = 2 and neighbours no core cell: noise. */
static void test_border_cells(void **state) {
  (void)state;
  est_hs_cell cells[] = {C(-8, 0, 2), C(0, 0, 4), C(8, 0, 1), C(16, 0, 1)};
  int label[4];
  assert_int_equal(est_hotspot_cluster(cells, 4, 10, 7, label, NULL), 1);
  assert_int_equal(label[0], 0);
  assert_int_equal(label[1], 0);
  assert_int_equal(label[2], 0);
  assert_int_equal(label[3], -1);
}

/* Chain: cores connect transitively across more than eps (0 -> 8 -> 16 -> 24). */
static void test_chain_and_min_points_one(void **state) {
  (void)state;
  est_hs_cell cells[] = {C(0, 0, 3), C(8, 0, 3), C(16, 0, 3), C(24, 0, 3), C(60, 0, 1)};
  int label[5];
  assert_int_equal(est_hotspot_cluster(cells, 5, 10, 6, label, NULL), 1);
  for (int i = 0; i < 4; i++) assert_int_equal(label[i], 0);
  assert_int_equal(label[4], -1);
  /* min_points 1: every cell is core; the lone cell is a cluster of its own. */
  assert_int_equal(est_hotspot_cluster(cells, 5, 10, 1, label, NULL), 2);
  assert_int_equal(label[4], 1);
}

/* Many cells (a 60 x 60 grid, 3600 cells, 1 incident each, spacing 2.5): all one cluster;
 * exercises the bucket search across bucket borders and negative coordinates. */
static void test_large_grid(void **state) {
  (void)state;
  enum { N = 60 };
  est_hs_cell *cells = malloc(N * N * sizeof *cells);
  int *label = malloc(N * N * sizeof *label);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) cells[i * N + j] = C(-75 + 2.5 * i, -75 + 2.5 * j, 1);
  long long *w;
  assert_int_equal(est_hotspot_cluster(cells, N * N, 10, 5, label, &w), 1);
  assert_int_equal(w[0], N * N);
  for (int i = 0; i < N * N; i++) assert_int_equal(label[i], 0);
  free(w);
  free(cells);
  free(label);
}

/* Convex hull: a square with interior, duplicate and edge points -> its 4 corners, CCW from (0,0). */
static void test_convex_hull(void **state) {
  (void)state;
  double sq[] = {2, 2, 0, 0, 4, 0, 4, 4, 0, 4, 2, 0, 1, 3, 4, 4, 0, 2};
  size_t n = est_convex_hull(sq, 9);
  assert_int_equal(n, 4);
  double want[] = {0, 0, 4, 0, 4, 4, 0, 4};
  for (int i = 0; i < 8; i++) assert_true(sq[i] == want[i]);
  double line[] = {3, 3, 1, 1, 2, 2, 0, 0};
  assert_int_equal(est_convex_hull(line, 4), 2);
  assert_true(line[0] == 0 && line[1] == 0 && line[2] == 3 && line[3] == 3);
  double same[] = {5, 5, 5, 5, 5, 5};
  assert_int_equal(est_convex_hull(same, 3), 1);
  assert_int_equal(est_convex_hull(NULL, 0), 0);
}

/* Incidents to hot spots: 8 within 25 m (5 of category 1, 3 of category 2) plus one 300 m away,
 * eps 150, min_points 5 (the integration fixture of test_situation.py in metres):
 * one hot spot of 8 with the mean as centroid; min_points 9: none. Then two groups of 6 and 5
 * 1 km apart: two hot spots, the larger first; max_clusters 1 keeps only it. */
static void test_points_to_hot_spots(void **state) {
  (void)state;
  est_hs_point p[] = {{-18, -22, 1, 1}, {-9, 11, 1, 2},   {0, 0, 1, 4},           {9, -11, 1, 8},       {18, 22, 1, 16},
                      {6, 22, 2, 32},   {-12, 17, 2, 64}, {12, -22, 2, 1u << 30}, {300, 0, 3, 1u << 29}};
  est_hs_cluster *c;
  assert_int_equal(est_hotspot_points(p, 9, 150, 5, 50, 4, &c), 1);
  assert_int_equal(c[0].n, 8);
  assert_true(c[0].cx == (-18 - 9 + 0 + 9 + 18 + 6 - 12 + 12) / 8.0);
  assert_true(c[0].cy == (-22 + 11 + 0 - 11 + 22 + 22 + 17 - 22) / 8.0);
  assert_int_equal(c[0].cat_counts[1], 5);
  assert_int_equal(c[0].cat_counts[2], 3);
  assert_int_equal(c[0].cat_counts[3], 0);
  /* Cell keys: sums of the members' record keys mod 2^31 (the noise point's is left out). */
  assert_int_equal(c[0].ck, (1 + 2 + 4 + 8 + 16 + 32 + 64 + (1u << 30)) & 0x7fffffffu);
  assert_int_equal(c[0].cat_ck[1], 31);
  assert_int_equal(c[0].cat_ck[2], 96 + (1u << 30));
  assert_int_equal(c[0].cat_ck[3], 0);
  assert_true(c[0].hull_n >= 3 && c[0].hull_n <= 8);
  est_hotspot_clusters_free(c, 1);
  assert_int_equal(est_hotspot_points(p, 9, 150, 9, 50, 4, &c), 0);
  assert_null(c);
  est_hs_point q[11];
  for (int i = 0; i < 6; i++) q[i] = (est_hs_point){1000.0 + i, 0, 0, 0};
  for (int i = 0; i < 5; i++) q[6 + i] = (est_hs_point){(double)i, 0, 0, 0};
  assert_int_equal(est_hotspot_points(q, 11, 150, 5, 50, 1, &c), 2);
  assert_int_equal(c[0].n, 6);
  assert_int_equal(c[1].n, 5);
  assert_int_equal(c[0].hull_n, 2); /* collinear */
  est_hotspot_clusters_free(c, 2);
  assert_int_equal(est_hotspot_points(q, 11, 150, 5, 1, 1, &c), 1);
  assert_int_equal(c[0].n, 6);
  est_hotspot_clusters_free(c, 1);
  assert_int_equal(est_hotspot_points(q, 11, 0, 5, 1, 1, &c), -1);
}

/* The reference snapping: every point sorted by (cell x, cell y, index), each cell's sums taken in
 * that order (what est_hotspot_points did before its cells came from a hash). */
typedef struct ref_pt {
  long long cx, cy;
  size_t i;
} ref_pt;

static int cmp_ref_pt(const void *a, const void *b) {
  const ref_pt *x = a, *y = b;
  if (x->cx != y->cx) return x->cx < y->cx ? -1 : 1;
  if (x->cy != y->cy) return x->cy < y->cy ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Random blobs and noise around a SWEREF 99 TM position, in random order, with many points per
 * cell, and two clusters of the same size (ordered by their first cell): est_hotspot_points gives, bit for bit, the clusters of the reference cells (count,
 * centroid and cell key of the members in input order, hull of the members in input order). */
static void test_points_same_as_sorted_cells(void **state) {
  (void)state;
  enum { N = 20000 };
  est_hs_point *p = malloc(N * sizeof *p);
  ref_pt *r = malloc(N * sizeof *r);
  est_hs_cell *cells = malloc(N * sizeof *cells);
  int *label = malloc(N * sizeof *label), *pt_label = malloc(N * sizeof *pt_label);
  double *xy = malloc(2 * N * sizeof *xy);
  assert_non_null(p && r && cells && label && pt_label && xy);
  unsigned long long seed = 42;
  for (int i = 0; i < N; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double)(seed >> 11) / 9007199254740992.0, v = (double)((seed >> 3) & 0xffffff) / 16777216.0;
    int blob = (int)(seed >> 60) % 8; /* 0..7: 6 blobs of different spread, 2 of noise */
    double sx = blob < 6 ? 40.0 * (blob + 1) : 5000.0;
    p[i] = (est_hs_point){380000.0 + 700.0 * (blob % 3) + sx * u, 6400000.0 + 900.0 * (blob / 3) + sx * v,
                          (int)(seed >> 40) % 5, (unsigned)(seed >> 20) & 0x7fffffffu};
    if (i < 60) /* two isolated blobs of 30, the one further east first in the input: a tie */
      p[i].x = (i < 30 ? 396000.0 : 395000.0) + 20.0 * u, p[i].y = 6400000.0 + 20.0 * v;
  }
  double eps = 150, cell = est_hotspot_cell_size(eps);
  for (size_t i = 0; i < N; i++) r[i] = (ref_pt){(long long)floor(p[i].x / cell), (long long)floor(p[i].y / cell), i};
  qsort(r, N, sizeof *r, cmp_ref_pt);
  size_t nc = 0;
  for (size_t k = 0; k < N; k++) {
    if (nc == 0 || r[k].cx != cells[nc - 1].cx || r[k].cy != cells[nc - 1].cy)
      cells[nc++] = (est_hs_cell){r[k].cx, r[k].cy, 0, 0, 0};
    cells[nc - 1].n++;
    cells[nc - 1].sx += p[r[k].i].x;
    cells[nc - 1].sy += p[r[k].i].y;
    pt_label[r[k].i] = (int)nc - 1;
  }
  int k = est_hotspot_cluster(cells, nc, eps, 20, label, NULL);
  assert_true(k > 3 && nc < N / 4);
  est_hs_cluster *c;
  int got = est_hotspot_points(p, N, eps, 20, 50, 5, &c);
  assert_int_equal(got, k < 50 ? k : 50);
  for (int h = 0; h < got; h++) {
    long long n = 0;
    double mx = 0, my = 0;
    unsigned ck = 0;
    size_t m = 0;
    for (size_t i = 0; i < N; i++) {
      if (label[pt_label[i]] != h) continue;
      n++;
      mx += p[i].x;
      my += p[i].y;
      ck = (ck + p[i].rk) & 0x7fffffffu;
      xy[2 * m] = p[i].x;
      xy[2 * m + 1] = p[i].y;
      m++;
    }
    assert_int_equal(c[h].n, n);
    assert_true(c[h].cx == mx / (double)n && c[h].cy == my / (double)n);
    assert_int_equal(c[h].ck, ck);
    size_t hn = est_convex_hull(xy, m);
    assert_int_equal(c[h].hull_n, hn);
    assert_memory_equal(c[h].hull, xy, hn * 2 * sizeof(double));
  }
  est_hotspot_clusters_free(c, got);
  free(p);
  free(r);
  free(cells);
  free(label);
  free(pt_label);
  free(xy);
}

static int cmp_pair(const void *a, const void *b) {
  const double *p = a, *q = b;
  if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
  return p[1] < q[1] ? -1 : p[1] > q[1];
}

static double turn(const double *o, const double *a, const double *b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

/* The reference hull: qsort by (x, y), then the same monotone chain as est_convex_hull. */
static size_t ref_hull(double *xy, size_t n, double *h) {
  qsort(xy, n, 2 * sizeof(double), cmp_pair);
  size_t m = 0, k = 0;
  for (size_t i = 0; i < n; i++) {
    if (m > 0 && xy[2 * (m - 1)] == xy[2 * i] && xy[2 * (m - 1) + 1] == xy[2 * i + 1]) continue;
    xy[2 * m] = xy[2 * i], xy[2 * m + 1] = xy[2 * i + 1], m++;
  }
  if (m < 3) {
    memcpy(h, xy, 2 * m * sizeof(double));
    return m;
  }
  for (size_t i = 0; i < m; i++) {
    while (k >= 2 && turn(&h[2 * (k - 2)], &h[2 * (k - 1)], &xy[2 * i]) <= 0) k--;
    h[2 * k] = xy[2 * i], h[2 * k + 1] = xy[2 * i + 1], k++;
  }
  for (size_t i = m - 1, t = k + 1; i-- > 0;) {
    while (k >= t && turn(&h[2 * (k - 2)], &h[2 * (k - 1)], &xy[2 * i]) <= 0) k--;
    h[2 * k] = xy[2 * i], h[2 * k + 1] = xy[2 * i + 1], k++;
  }
  k--;
  return k < 2 ? 2 : k;
}

/* est_convex_hull sorts many points by radix: the same hull, bit for bit, as sorting them with
 * qsort, for sets with duplicates, negative coordinates, -0.0 and +0.0, a shared high part
 * (SWEREF 99 TM), collinear points, points on a circle (every point a vertex) and on a diamond
 * whose sides bulge out by 1e-4 (vertices 1e-7 of the scale outside the quadrilateral of the
 * extreme points, which est_convex_hull's interior filter must keep). */
static void test_convex_hull_many_points(void **state) {
  (void)state;
  enum { N = 3000 };
  double *a = malloc(2 * N * sizeof *a), *b = malloc(2 * N * sizeof *b), *h = malloc(4 * N * sizeof *h);
  assert_non_null(a && b && h);
  unsigned long long seed = 7;
  for (int set = 0; set < 8; set++) {
    size_t n = set == 5 ? 64 : N;
    for (size_t i = 0; i < n; i++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      double u = (double)(seed >> 40) / 16777216.0 - 0.5, v = (double)((seed >> 16) & 0xffffff) / 16777216.0 - 0.5;
      if (set == 1) u = (double)((int)(u * 8)), v = (double)((int)(v * 8)); /* many duplicates, -0 and +0 */
      if (set == 2) u += 380000.0, v += 6400000.0;
      if (set == 3) v = 2 * u;            /* collinear */
      if (set == 4) u *= 1e6, v *= -1e-3; /* wide and flat */
      if (i % 97 == 0) u = -0.0;
      if (set == 6) u = 380000.0 + 1000.0 * cos(0.002 * (double)i), v = 6400000.0 + 1000.0 * sin(0.002 * (double)i);
      if (set == 7) { /* side i % 4 of the diamond (1000, 0), (0, 1000), (-1000, 0), (0, -1000) */
        double t = (double)(i / 4) / (double)(n / 4), cx[] = {1000, 0, -1000, 0, 1000}, cy[] = {0, 1000, 0, -1000, 0};
        size_t e = i % 4;
        double bulge = 1e-4 * sin(3.14159265358979 * t) / 1.41421356;
        u = cx[e] + t * (cx[e + 1] - cx[e]) + bulge * (cx[e] + cx[e + 1]) / 1000.0;
        v = cy[e] + t * (cy[e + 1] - cy[e]) + bulge * (cy[e] + cy[e + 1]) / 1000.0;
      }
      a[2 * i] = u, a[2 * i + 1] = v;
    }
    memcpy(b, a, 2 * n * sizeof *a);
    size_t got = est_convex_hull(a, n), want = ref_hull(b, n, h);
    assert_int_equal(got, want);
    assert_memory_equal(a, h, 2 * want * sizeof *a);
  }
  free(a);
  free(b);
  free(h);
}

/* The reference clustering of hotspot.h's definition, by comparing every pair of cells
 * (O(n^2)): core when the summed count of the cells whose positions are within eps (itself
 * included) reaches min_points; clusters grown from the core cells in input order, border
 * cells joining the first cluster that reaches them; then numbered by incidents, ties by
 * first cell. Returns the number of clusters; w[c] their incident counts. */
static int ref_cluster(const est_hs_cell *c, int n, double eps, long long min_points, int *label, long long *w) {
  double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
  int *core = malloc((size_t)n * sizeof *core), *queue = malloc((size_t)n * sizeof *queue);
  assert_non_null(x);
  assert_non_null(y);
  assert_non_null(core);
  assert_non_null(queue);
  for (int i = 0; i < n; i++) {
    x[i] = c[i].sx / (double)c[i].n;
    y[i] = c[i].sy / (double)c[i].n;
  }
#define NEAR(i, j) ((x[j] - x[i]) * (x[j] - x[i]) + (y[j] - y[i]) * (y[j] - y[i]) <= eps * eps)
  for (int i = 0; i < n; i++) {
    long long s = 0;
    for (int j = 0; j < n; j++)
      if (NEAR(i, j)) s += c[j].n;
    core[i] = s >= min_points;
    label[i] = -1;
  }
  int k = 0;
  for (int i = 0; i < n; i++) {
    if (!core[i] || label[i] != -1) continue;
    int head = 0, tail = 0;
    label[i] = k;
    queue[tail++] = i;
    while (head < tail) {
      int q = queue[head++];
      for (int j = 0; j < n; j++)
        if (label[j] == -1 && NEAR(q, j)) {
          label[j] = k;
          if (core[j]) queue[tail++] = j;
        }
    }
    k++;
  }
#undef NEAR
  /* number by incidents (desc), then first cell: a selection of the order */
  long long *sum = calloc((size_t)k + 1, sizeof *sum);
  int *first = malloc(((size_t)k + 1) * sizeof *first), *num = malloc(((size_t)k + 1) * sizeof *num);
  assert_non_null(sum);
  assert_non_null(first);
  assert_non_null(num);
  for (int q = 0; q < k; q++) first[q] = -1;
  for (int i = 0; i < n; i++)
    if (label[i] >= 0) {
      sum[label[i]] += c[i].n;
      if (first[label[i]] < 0) first[label[i]] = i;
    }
  for (int q = 0; q < k; q++) {
    int rank = 0;
    for (int r = 0; r < k; r++)
      if (sum[r] > sum[q] || (sum[r] == sum[q] && first[r] < first[q])) rank++;
    num[q] = rank;
    w[rank] = sum[q];
  }
  for (int i = 0; i < n; i++)
    if (label[i] >= 0) label[i] = num[label[i]];
  free(x);
  free(y);
  free(core);
  free(queue);
  free(sum);
  free(first);
  free(num);
  return k;
}

/* est_hotspot_cluster gives the reference's labels and weights on random cells: dense blobs
 * (many cells per eps-bucket, chains across buckets, border cells between blobs) and sparse
 * noise, negative coordinates, several eps and min_points (1: every cell is core). */
static void test_cluster_same_as_brute_force(void **state) {
  (void)state;
  srand(7);
  const double eps_of[] = {10, 37.5, 150};
  const long long mp_of[] = {1, 5, 12, 40};
  for (int round = 0; round < 60; round++) {
    double eps = eps_of[round % 3];
    long long mp = mp_of[(round / 3) % 4];
    int n = 50 + rand() % 700;
    est_hs_cell *cells = malloc((size_t)n * sizeof *cells);
    int *got = malloc((size_t)n * sizeof *got), *want = malloc((size_t)n * sizeof *want);
    long long *ww = malloc(((size_t)n + 1) * sizeof *ww);
    assert_non_null(cells);
    assert_non_null(got);
    assert_non_null(want);
    assert_non_null(ww);
    double bx[4], by[4];
    for (int b = 0; b < 4; b++) {
      bx[b] = (rand() % 2001 - 1000) * eps / 40.0;
      by[b] = (rand() % 2001 - 1000) * eps / 40.0;
    }
    for (int i = 0; i < n; i++) {
      double x, y;
      if (rand() % 3) { /* near a blob centre */
        int b = rand() % 4;
        x = bx[b] + (rand() % 2001 - 1000) * eps / 400.0;
        y = by[b] + (rand() % 2001 - 1000) * eps / 400.0;
      } else { /* anywhere */
        x = (rand() % 20001 - 10000) * eps / 200.0;
        y = (rand() % 20001 - 10000) * eps / 200.0;
      }
      long long cnt = 1 + rand() % 6;
      cells[i] = (est_hs_cell){(long long)floor(x / (eps / 4)), (long long)floor(y / (eps / 4)), cnt, x * (double)cnt,
                               y * (double)cnt};
    }
    long long *w = NULL;
    int k = est_hotspot_cluster(cells, (size_t)n, eps, mp, got, &w);
    int kr = ref_cluster(cells, n, eps, mp, want, ww);
    assert_int_equal(k, kr);
    assert_memory_equal(got, want, (size_t)n * sizeof *got);
    if (k > 0) assert_memory_equal(w, ww, (size_t)k * sizeof *w);
    free(w);
    free(cells);
    free(got);
    free(want);
    free(ww);
  }
}

/* est_hotspot_unpack: the bytes PostgreSQL's int4send / float8send write
 * (big-endian), spelled out: 1.5 = 0x3FF8000000000000, -2.25 =
 * 0xC002000000000000, 6500000.25 = 0x4158CBA810000000. */
static void test_unpack_packed_points(void **state) {
  (void)state;
  static const unsigned char buf[] = {
      0x00, 0x00, 0x00, 0x03,                         /* category ordinal 3 */
      0x3F, 0xF8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* x 1.5 */
      0xC0, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* y -2.25 */
      0x80, 0x00, 0x00, 0x05,                         /* record key, bit 31 set */
      0x41, 0x58, 0xCB, 0xA8, 0x10, 0x00, 0x00, 0x00, /* x 6500000.25 */
      0x3F, 0xF8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* y 1.5 */
      0x12, 0x34, 0x56, 0x78,                         /* record key */
  };
  est_hs_point out[3];
  memset(out, 0x5a, sizeof out);
  assert_int_equal(est_hotspot_unpack(buf, sizeof buf, out), 2);
  assert_true(out[0].x == 1.5 && out[0].y == -2.25);
  assert_int_equal(out[0].cat, 3);
  assert_int_equal(out[0].rk, 5); /* masked to 31 bits */
  assert_true(out[1].x == 6500000.25 && out[1].y == 1.5);
  assert_int_equal(out[1].cat, 3);
  assert_int_equal(out[1].rk, 0x12345678);
  unsigned char untouched[sizeof out[2]];
  memset(untouched, 0x5a, sizeof untouched);
  assert_memory_equal(&out[2], untouched, sizeof untouched); /* nothing past the count */
}

static void test_unpack_category_and_length(void **state) {
  (void)state;
  unsigned char buf[4 + 2 * EST_HS_PACKED] = {0};
  est_hs_point out[2], before[2];
  memset(out, 0x5a, sizeof out);
  memcpy(before, out, sizeof out);
  assert_int_equal(est_hotspot_unpack(buf, 3, out), -1);                     /* no ordinal */
  assert_int_equal(est_hotspot_unpack(buf, 4 + EST_HS_PACKED - 1, out), -1); /* a cut record */
  assert_int_equal(est_hotspot_unpack(buf, 4 + EST_HS_PACKED + 1, out), -1); /* a byte too many */
  assert_memory_equal(out, before, sizeof out);                              /* untouched on error */
  assert_int_equal(est_hotspot_unpack(buf, 4, out), 0);                      /* a category with none */
  assert_memory_equal(out, before, sizeof out);
  /* Ordinals: the last slot, one past it and a negative int4 are "not counted by category". */
  buf[0] = 0x00, buf[1] = 0x00, buf[2] = 0x27, buf[3] = 0x0F; /* 9999 */
  assert_int_equal(est_hotspot_unpack(buf, sizeof buf, out), 2);
  assert_int_equal(out[0].cat, EST_HS_MAX_CATEGORIES - 1);
  assert_int_equal(out[1].cat, EST_HS_MAX_CATEGORIES - 1);
  buf[3] = 0x10; /* 10000 */
  assert_int_equal(est_hotspot_unpack(buf, sizeof buf, out), 2);
  assert_int_equal(out[0].cat, -1);
  buf[0] = buf[1] = buf[2] = buf[3] = 0xFF; /* -1 */
  assert_int_equal(est_hotspot_unpack(buf, sizeof buf, out), 2);
  assert_int_equal(out[1].cat, -1);
  assert_true(out[0].x == 0.0 && out[0].y == 0.0 && out[0].rk == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cell_size),
      cmocka_unit_test(test_empty_and_invalid),
      cmocka_unit_test(test_dense_blob),
      cmocka_unit_test(test_single_heavy_cell),
      cmocka_unit_test(test_two_blobs),
      cmocka_unit_test(test_noise),
      cmocka_unit_test(test_border_cells),
      cmocka_unit_test(test_chain_and_min_points_one),
      cmocka_unit_test(test_large_grid),
      cmocka_unit_test(test_convex_hull),
      cmocka_unit_test(test_points_to_hot_spots),
      cmocka_unit_test(test_points_same_as_sorted_cells),
      cmocka_unit_test(test_convex_hull_many_points),
      cmocka_unit_test(test_cluster_same_as_brute_force),
      cmocka_unit_test(test_unpack_packed_points),
      cmocka_unit_test(test_unpack_category_and_length),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
