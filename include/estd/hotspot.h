/* hotspot.h - weighted DBSCAN over grid cells (pure, no I/O).
 *
 * Hot spots of the situational picture are DBSCAN clusters of incidents in
 * SWEREF 99 TM (metres). Instead of clustering every incident,
 * est_hotspot_points snaps the period's incidents to square grid cells of
 * side est_hotspot_cell_size(eps) = eps / 4 (one cell per non-empty square:
 * its incident count and the sum of its incidents' coordinates) and
 * est_hotspot_cluster clusters the cells:
 *
 *  - position of a cell = the centroid of its incidents (sx / n, sy / n);
 *  - two cells are neighbours when their positions are at most eps apart
 *    (a cell is its own neighbour);
 *  - a cell is a core cell when the summed count of its neighbours is at
 *    least min_points (so min_points counts incidents, itself included, as
 *    ST_ClusterDBSCAN's minpoints does);
 *  - clusters are the connected components of core cells (core neighbours),
 *    plus border cells: non-core cells neighbouring a core cell, which join
 *    the first cluster that reaches them (cells are visited in input order,
 *    so give them sorted for a deterministic result);
 *  - every other cell is noise.
 *
 * Approximation: every incident of a cell takes the cell's label and the
 * cell's centroid stands in for it in distance tests. An incident is at most
 * cell * sqrt(2) (≈ 0.35 eps at cell = eps / 4) from its cell's centroid, so
 * pair distances are judged with at most that error; when every cell holds
 * one incident (sparse data) the result is exactly point DBSCAN. */
#ifndef ESTD_HOTSPOT_H
#define ESTD_HOTSPOT_H

#include <stddef.h>

typedef struct est_hs_cell {
  long long cx, cy; /* grid indices floor(x / cell), floor(y / cell) */
  long long n;      /* incidents in the cell (> 0) */
  double sx, sy;    /* sums of the incidents' coordinates */
} est_hs_cell;

/* The grid cell size used for eps (metres): eps / 4. */
double est_hotspot_cell_size(double eps);

/* Clusters cells[0..n). label[i] is set to the cluster number of cell i
 * (0 = the cluster with the most incidents; ties: the one whose first cell
 * comes first in the input) or -1 for noise. If weight is not NULL,
 * *weight is set to a malloc'd array of the clusters' incident counts
 * (caller frees; NULL when there are no clusters). Returns the number of
 * clusters, or -1 on invalid arguments (eps <= 0) or allocation failure. */
int est_hotspot_cluster(const est_hs_cell *cells, size_t n, double eps, long long min_points, int *label,
                        long long **weight);

/* Convex hull (Andrew's monotone chain) of the points xy[0..2n) (x, y
 * pairs), written in place to the start of xy counter-clockwise, without
 * collinear points and not closed. Many points (64 or more) are first
 * thinned to those not deep inside the quadrilateral of the leftmost,
 * lowest, rightmost and highest ones (Akl-Toussaint), which gives the same
 * vertices in the same order; xy's other contents are left unspecified.
 * Returns the number of hull vertices: 0 for n = 0, 1 when every point is
 * the same, 2 when all are collinear. */
size_t est_convex_hull(double *xy, size_t n);

/* ---- from incidents to hot spots ------------------------------------------ */
typedef struct est_hs_point {
  double x, y; /* metres (SWEREF 99 TM) */
  int cat;     /* category slot 0 .. ncat-1 (others are not counted by category) */
  unsigned rk; /* record key (estd/disclosure.h), < 2^31 */
} est_hs_point;

typedef struct est_hs_cluster {
  long long n;           /* incidents */
  double cx, cy;         /* centroid (mean of the incidents) */
  long long *cat_counts; /* ncat counts */
  unsigned ck;           /* cell key: sum of the incidents' record keys mod 2^31 */
  unsigned *cat_ck;      /* ncat cell keys of the category counts */
  double *hull;          /* est_convex_hull of the incidents: hull_n (x, y) pairs */
  size_t hull_n;
} est_hs_cluster;

/* Snaps the points to cells of est_hotspot_cell_size(eps) (cells in
 * (cx, cy) order), clusters the cells with est_hotspot_cluster and returns
 * the at most max_clusters largest clusters (in est_hotspot_cluster's
 * order) with their incidents' count, centroid, category counts and convex
 * hull in *out (malloc'd; est_hotspot_clusters_free). Returns the number of
 * clusters returned, or -1 on invalid arguments or allocation failure. */
int est_hotspot_points(const est_hs_point *pts, size_t n, double eps, long long min_points, int max_clusters, int ncat,
                       est_hs_cluster **out);
void est_hotspot_clusters_free(est_hs_cluster *c, int n);

/* One category's incidents as the points statement sends them
 * (src/store/situation.c): the category's ordinal as a 32-bit integer, then
 * EST_HS_PACKED bytes per incident: x and y as IEEE 754 binary64 and the
 * record key as a 32-bit integer; everything big-endian (PostgreSQL's
 * int4send, then point_send, i.e. float8send x, float8send y, and int4send
 * per incident). Decodes buf[0..len) into out[0..(len - 4) / EST_HS_PACKED)
 * with the ordinal as category slot (-1, not counted by category, unless
 * 0 <= ordinal < EST_HS_MAX_CATEGORIES) and the record key masked to 31
 * bits. Returns the
 * number of points, or -1 when len is under 4 or (len - 4) is not a
 * multiple of EST_HS_PACKED (out is then untouched). */
#define EST_HS_PACKED 20
#define EST_HS_MAX_CATEGORIES 10000
long long est_hotspot_unpack(const unsigned char *buf, size_t len, est_hs_point *out);

#endif
