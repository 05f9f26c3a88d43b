/* areas_cli.c - `estd areas import FILE`: official boundaries (stadsdelar,
 * SCB's DeSO/RegSO, the police's areas) from a GeoPackage, Shapefile or
 * GeoJSON in any CRS GDAL knows. GDAL reads the file: ogrinfo lists its
 * layers and ogr2ogr (Debian gdal-bin, run without a shell) writes the
 * chosen layer as GeoJSON in WGS84 into a private temporary directory;
 * PostGIS parses each geometry (ST_GeomFromGeoJSON) in
 * store_areas_import, which checks, repairs, upserts and re-assigns in one
 * transaction. estd itself links no GDAL (docs/OPERATIONS.md "Official
 * boundaries"). */
#include "estd/areas_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "estd/area.h"
#include "estd/buf.h"
#include "estd/cli.h"
#include "estd/store_areas.h"
#include "estd/validate.h"

extern char **environ;

static void usage(FILE *f) {
  fprintf(f,
          "usage: estd areas import FILE [options]\n"
          "\n"
          "  Upserts the polygons of FILE (GeoPackage, Shapefile, GeoJSON; any CRS GDAL knows) as areas,\n"
          "  by code, in one transaction; re-assigns the events of the areas whose boundary changed.\n"
          "  Needs ogr2ogr and ogrinfo (Debian gdal-bin) on PATH.\n"
          "\n"
          "  --layer NAME        the layer to read (required when FILE has several)\n"
          "  --code-field F      property holding the area's code (default: code, else kod)\n"
          "  --name-field F      property holding the name (default: name, else namn, else the code)\n"
          "  --code-prefix P     prefix of every code, joined with '-' (e.g. deso)\n"
          "  --kind K            district|sarskilt_utsatt_omrade|hot_spot|other (default: district for new\n"
          "                      areas; existing areas keep their kind)\n"
          "  --srs SRS           the data's CRS when the file has none or a wrong one (e.g. EPSG:3006)\n"
          "  --where EXPR        only the features matching this OGR SQL filter (e.g. \"kommun = '1490'\")\n"
          "  --approximate       mark the areas approximate (default: official, not approximate)\n"
          "  --skip-invalid      import the other features when some have a geometry problem\n"
          "                      (default: any problem refuses the whole import)\n"
          "  --dry-run           check and report what would change; store nothing\n"
          "  --json              print the report as JSON\n");
}

/* Runs argv (no shell) with stdout to out_path (NULL: /dev/null) and stderr
 * to err_path; returns its exit status, 127 when it could not be started. */
static int run(char *const argv[], const char *out_path, const char *err_path) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return 127;
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The whole file at path (caller frees), or NULL. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  est_buf b = EST_BUF_INIT;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) est_buf_append(&b, chunk, n);
  bool bad = ferror(f) != 0;
  fclose(f);
  if (bad) {
    est_buf_free(&b);
    return NULL;
  }
  return est_buf_steal(&b);
}

/* GDAL's messages (err_path) on stderr, indented, after one line of ours. */
static void gdal_said(const char *err_path) {
  char *e = slurp(err_path);
  for (char *line = e, *nl; line && *line; line = nl ? nl + 1 : line + strlen(line)) {
    nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    if (*line) fprintf(stderr, "  %s\n", line);
  }
  free(e);
}

/* The layer names of ogrinfo -ro -q's listing ("1: name (Polygon)"), one
 * a line, into layers (caller frees); returns their number, -1 on failure. */
static int list_layers(const char *file, const char *tmp, char **layers) {
  char out[4096], err[4096];
  snprintf(out, sizeof out, "%s/layers.txt", tmp);
  snprintf(err, sizeof err, "%s/ogrinfo.err", tmp);
  char *argv[] = {"ogrinfo", "-ro", "-q", (char *)file, NULL};
  int rc = run(argv, out, err);
  if (rc == 127) {
    fprintf(stderr, "estd: areas import: ogrinfo (Debian gdal-bin) is not on PATH; see docs/OPERATIONS.md\n");
    return -1;
  }
  if (rc != 0) {
    fprintf(stderr, "estd: areas import: GDAL cannot open %s as a GeoPackage, Shapefile or GeoJSON:\n", file);
    gdal_said(err);
    return -1;
  }
  char *text = slurp(out);
  est_buf names = EST_BUF_INIT;
  int n = 0;
  for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : line + strlen(line)) {
    nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    char *p = line;
    while (*p >= '0' && *p <= '9') p++;
    if (p == line || strncmp(p, ": ", 2) != 0) continue;
    p += 2;
    char *type = strrchr(p, '(');
    size_t len =
        type && type > p && type[-1] == ' ' && line[strlen(line) - 1] == ')' ? (size_t)(type - 1 - p) : strlen(p);
    est_buf_append(&names, p, len);
    est_buf_append(&names, "\n", 1);
    n++;
  }
  free(text);
  *layers = est_buf_steal(&names);
  return *layers ? n : -1;
}

/* Prints the report (store_areas_import's JSON) for people. */
static void print_report(const json_t *rep, FILE *f) {
  size_t i;
  json_t *x;
  fprintf(f, "code property: %s; name property: %s; %lld feature(s)\n",
          json_string_value(json_object_get(rep, "code_field")) ? json_string_value(json_object_get(rep, "code_field"))
                                                                : "(none found)",
          json_string_value(json_object_get(rep, "name_field")) ? json_string_value(json_object_get(rep, "name_field"))
                                                                : "(none: the code)",
          (long long)json_integer_value(json_object_get(rep, "features")));
  json_array_foreach(json_object_get(rep, "repaired"), i, x) {
    fprintf(f, "repaired: feature %lld (code %s, name %s): %s; ST_MakeValid changed its area by %.3f %%\n",
            (long long)json_integer_value(json_object_get(x, "feature")), json_string_value(json_object_get(x, "code")),
            json_string_value(json_object_get(x, "name")), json_string_value(json_object_get(x, "reason")),
            json_number_value(json_object_get(x, "area_change_pct")));
  }
  json_t *props = json_object_get(rep, "properties");
  if (json_array_size(props)) {
    fprintf(f, "properties of feature 1:");
    json_array_foreach(props, i, x) fprintf(f, "%s %s", i ? "," : "", json_string_value(x));
    fprintf(f, "\n");
  }
  json_array_foreach(json_object_get(rep, "problems"), i, x) {
    if (i == 100) {
      fprintf(f, "... and %zu more problems (--json lists all)\n",
              json_array_size(json_object_get(rep, "problems")) - i);
      break;
    }
    const char *code = json_string_value(json_object_get(x, "code")),
               *name = json_string_value(json_object_get(x, "name"));
    fprintf(f, "refused: feature %lld (code %s, name %s): %s\n",
            (long long)json_integer_value(json_object_get(x, "feature")), code ? code : "-", name ? name : "-",
            json_string_value(json_object_get(x, "problem")));
  }
  json_array_foreach(json_object_get(rep, "areas"), i, x) {
    fprintf(f, "%s: area %lld %s (%s)%s\n", json_string_value(json_object_get(x, "status")),
            (long long)json_integer_value(json_object_get(x, "id")), json_string_value(json_object_get(x, "code")),
            json_string_value(json_object_get(x, "name")),
            json_is_true(json_object_get(x, "geometry_changed")) ? ", new boundary" : "");
  }
  fprintf(f, "%s: %lld created, %lld updated, %lld unchanged, %lld refused; %lld event(s) re-assigned\n",
          json_is_true(json_object_get(rep, "dry_run"))  ? "dry run (nothing stored)"
          : json_is_true(json_object_get(rep, "stored")) ? "stored"
                                                         : "refused (nothing stored)",
          (long long)json_integer_value(json_object_get(rep, "created")),
          (long long)json_integer_value(json_object_get(rep, "updated")),
          (long long)json_integer_value(json_object_get(rep, "unchanged")),
          (long long)json_integer_value(json_object_get(rep, "refused")),
          (long long)json_integer_value(json_object_get(rep, "events_moved")));
}

/* Files the import writes in its temporary directory. */
static const char *const tmp_files[] = {"layers.txt", "ogrinfo.err", "areas.geojson", "ogr2ogr.err", NULL};

static void tmp_remove(const char *tmp) {
  char p[4096];
  for (int i = 0; tmp_files[i]; i++) {
    snprintf(p, sizeof p, "%s/%s", tmp, tmp_files[i]);
    unlink(p);
  }
  rmdir(tmp);
}

/* Converts layer of file into WGS84 GeoJSON at tmp/areas.geojson with
 * ogr2ogr; srs (may be NULL) overrides the file's CRS, where (may be NULL)
 * is an OGR SQL attribute filter. Returns 0, or the exit code after a
 * message. */
static int convert(const char *file, const char *layer, const char *srs, const char *where, const char *tmp) {
  char out[4096], err[4096];
  snprintf(out, sizeof out, "%s/areas.geojson", tmp);
  snprintf(err, sizeof err, "%s/ogr2ogr.err", tmp);
  /* -t_srs: GDAL/PROJ transforms from any CRS it knows; RFC7946=NO keeps
   * full coordinate precision and the rings as drawn (PostGIS checks them). */
  char *argv[16];
  int n = 0;
  argv[n++] = "ogr2ogr";
  argv[n++] = "-f";
  argv[n++] = "GeoJSON";
  if (srs) {
    argv[n++] = "-s_srs";
    argv[n++] = (char *)srs;
  }
  if (where) {
    argv[n++] = "-where";
    argv[n++] = (char *)where;
  }
  argv[n++] = "-t_srs";
  argv[n++] = "EPSG:4326";
  argv[n++] = "-lco";
  argv[n++] = "RFC7946=NO";
  argv[n++] = out;
  argv[n++] = (char *)file;
  argv[n++] = (char *)layer;
  argv[n] = NULL;
  int rc = run(argv, NULL, err);
  if (rc == 127) {
    fprintf(stderr, "estd: areas import: ogr2ogr (Debian gdal-bin) is not on PATH; see docs/OPERATIONS.md\n");
    return 1;
  }
  if (rc == 0) return 0;
  char *e = slurp(err);
  if (e && strstr(e, "Can't transform coordinates"))
    fprintf(stderr,
            "estd: areas import: layer '%s' of %s has no coordinate reference system (a Shapefile without its "
            ".prj?); name the data's CRS with --srs, e.g. --srs EPSG:3006\n",
            layer, file);
  else if (srs && e && strstr(e, "Failed to process SRS definition"))
    fprintf(stderr, "estd: areas import: GDAL does not know the CRS '%s' (--srs), e.g. EPSG:3006:\n", srs);
  else fprintf(stderr, "estd: areas import: GDAL could not read layer '%s' of %s:\n", layer, file);
  free(e);
  gdal_said(err);
  return 1;
}

static int import(int argc, char **argv, const est_config *cfg) {
  const char *file = NULL, *layer = NULL, *srs = NULL, *where = NULL;
  store_area_import in = {0};
  bool as_json = false;
  for (int i = 0; i < argc; i++) {
    const char *v = argv[i]; /* a flag's "value": itself */
    bool known = true;
    if (strcmp(argv[i], "--dry-run") == 0) in.dry_run = true;
    else if (strcmp(argv[i], "--skip-invalid") == 0) in.skip_invalid = true;
    else if (strcmp(argv[i], "--approximate") == 0) in.approximate = true;
    else if (strcmp(argv[i], "--json") == 0) as_json = true;
    else if (est_cli_opt(argc, argv, &i, "--layer", &v)) layer = v;
    else if (est_cli_opt(argc, argv, &i, "--code-field", &v)) in.code_field = v;
    else if (est_cli_opt(argc, argv, &i, "--name-field", &v)) in.name_field = v;
    else if (est_cli_opt(argc, argv, &i, "--code-prefix", &v)) in.code_prefix = v;
    else if (est_cli_opt(argc, argv, &i, "--kind", &v)) in.kind = v;
    else if (est_cli_opt(argc, argv, &i, "--srs", &v)) srs = v;
    else if (est_cli_opt(argc, argv, &i, "--where", &v)) where = v;
    else if (argv[i][0] != '-' && !file) file = argv[i];
    else known = false;
    if (!known || !v) {
      fprintf(stderr, "estd: areas import: %s '%s'\n", known ? "missing value for" : "unknown argument", argv[i]);
      return 2;
    }
  }
  if (!file) {
    usage(stderr);
    return 2;
  }
  if (in.kind) {
    bool ok = false;
    for (int k = 0; est_area_kinds[k] && !ok; k++) ok = strcmp(est_area_kinds[k], in.kind) == 0;
    if (!ok) {
      fprintf(stderr, "estd: areas import: --kind must be district, sarskilt_utsatt_omrade, hot_spot or other\n");
      return 2;
    }
  }
  if (in.code_prefix && !est_slug_valid(in.code_prefix)) {
    fprintf(stderr, "estd: areas import: --code-prefix must be a slug (lowercase letters and digits, '-')\n");
    return 2;
  }
  if (access(file, R_OK) != 0) {
    fprintf(stderr, "estd: areas import: cannot read %s: %s\n", file, strerror(errno));
    return 1;
  }
  char tmp[] = "/tmp/estd-import-XXXXXX";
  if (!mkdtemp(tmp)) {
    fprintf(stderr, "estd: areas import: cannot create a temporary directory: %s\n", strerror(errno));
    return 1;
  }
  int code = 0;
  char *layers = NULL, *fc = NULL;
  if (!layer) {
    int n = list_layers(file, tmp, &layers);
    if (n == 0) fprintf(stderr, "estd: areas import: %s has no layer\n", file);
    else if (n > 1) {
      fprintf(stderr, "estd: areas import: %s has %d layers; choose one with --layer:\n", file, n);
      for (char *l = layers, *nl; l && *l; l = nl + 1) {
        nl = strchr(l, '\n');
        *nl = '\0';
        fprintf(stderr, "  %s\n", l);
      }
    } else if (n == 1) {
      layers[strcspn(layers, "\n")] = '\0';
      layer = layers;
    }
    if (n != 1) code = 1;
  }
  if (code == 0) code = convert(file, layer, srs, where, tmp);
  if (code == 0) {
    char p[4096];
    snprintf(p, sizeof p, "%s/areas.geojson", tmp);
    if (!(fc = slurp(p))) {
      fprintf(stderr, "estd: areas import: cannot read GDAL's output %s\n", p);
      code = 1;
    }
  }
  tmp_remove(tmp);
  est_pool *pool = NULL;
  if (code == 0) code = est_cli_pool(cfg, "areas", &pool);
  if (code == 0) {
    est_actor who = {.request_id = "cli"};
    char *report = NULL;
    store_write_error fail = {"", ""};
    est_result rc = store_areas_import(pool, &who, fc, &in, &report, &fail);
    json_t *rep = report ? json_loads(report, 0, NULL) : NULL;
    if (rep) json_object_set_new(rep, "layer", json_string(layer));
    if (rep && as_json) {
      char *t = json_dumps(rep, JSON_INDENT(2));
      printf("%s\n", t ? t : "");
      free(t);
    } else if (rep) {
      print_report(rep, rc == EST_OK ? stdout : stderr);
    }
    if (rc != EST_OK) {
      fprintf(stderr, "estd: areas import of %s failed: %s%s%s\n", file, est_result_str(rc), fail.detail[0] ? ": " : "",
              fail.detail);
      code = 1;
    }
    json_decref(rep);
    free(report);
  }
  if (pool) est_pool_destroy(pool);
  free(fc);
  free(layers);
  return code;
}

int est_areas_cli_run(int argc, char **argv, const est_config *cfg) {
  if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0) {
    usage(argc < 1 ? stderr : stdout);
    return argc < 1 ? 2 : 0;
  }
  if (strcmp(argv[0], "import") == 0) {
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
      usage(stdout);
      return 0;
    }
    return import(argc - 1, argv + 1, cfg);
  }
  fprintf(stderr, "estd: areas: unknown command '%s'\n", argv[0]);
  usage(stderr);
  return 2;
}
