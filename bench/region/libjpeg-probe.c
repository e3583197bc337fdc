/* Where a 12 MP decode's time goes, through libjpeg-turbo's libjpeg API (Debian libjpeg62-turbo 2.1): the whole
 * decode at 1/1 and 1/8, jpeg_crop_scanline to the centre 3/4 of the columns (the CLIP centre square of a 4:3 photo),
 * jpeg_skip_scanlines over everything but the quality grid's three 256-row bands, and the entropy decoding alone
 * (jpeg_read_coefficients). Thread CPU time, minimum and median of 15 runs. Not part of the service (which cannot use
 * this API safely through FFM, see bench/README.md, "Region decoding"); it measures the floor region decoding can reach.
 *   gcc -O2 -o /tmp/libjpeg-probe bench/region/libjpeg-probe.c -ljpeg   # needs libjpeg62-turbo-dev
 *   taskset -c 0 /tmp/libjpeg-probe bench/out/images/gen-4032x3024.jpg */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <jpeglib.h>

static unsigned char *data;
static unsigned long size;
static unsigned char *row;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void open_jpeg(struct jpeg_decompress_struct *c, struct jpeg_error_mgr *e) {
  c->err = jpeg_std_error(e);
  jpeg_create_decompress(c);
  jpeg_mem_src(c, data, size);
  jpeg_read_header(c, TRUE);
}

static void decode(int denom, int crop, int grid) {
  struct jpeg_decompress_struct c;
  struct jpeg_error_mgr e;
  open_jpeg(&c, &e);
  c.scale_num = 1;
  c.scale_denom = denom;
  c.out_color_space = JCS_RGB;
  jpeg_start_decompress(&c);
  if (crop) {
    JDIMENSION x = c.output_width / 8, w = c.output_width * 3 / 4;
    jpeg_crop_scanline(&c, &x, &w);
  }
  if (grid) {
    int h = c.output_height, bands[3] = {0, (h - 256) / 2, h - 256};
    for (int b = 0; b < 3; b++) {
      if ((int)c.output_scanline < bands[b]) jpeg_skip_scanlines(&c, bands[b] - c.output_scanline);
      while ((int)c.output_scanline < bands[b] + 256) jpeg_read_scanlines(&c, &row, 1);
    }
  } else {
    while (c.output_scanline < c.output_height) jpeg_read_scanlines(&c, &row, 1);
  }
  jpeg_abort_decompress(&c);
  jpeg_destroy_decompress(&c);
}

static void coefficients(void) {
  struct jpeg_decompress_struct c;
  struct jpeg_error_mgr e;
  open_jpeg(&c, &e);
  jpeg_read_coefficients(&c);
  jpeg_abort_decompress(&c);
  jpeg_destroy_decompress(&c);
}

static int cmp(const void *a, const void *b) { double d = *(const double *)a - *(const double *)b; return (d > 0) - (d < 0); }

static void run(const char *name, void (*f)(void)) {
  double ts[15];
  for (int i = 0; i < 15; i++) { double t = now(); f(); ts[i] = now() - t; }
  qsort(ts, 15, sizeof(double), cmp);
  printf("%-40s min %6.2f  median %6.2f ms CPU\n", name, ts[0], ts[7]);
}

static void full1(void) { decode(1, 0, 0); }
static void full8(void) { decode(8, 0, 0); }
static void crop8(void) { decode(8, 1, 0); }
static void crop1(void) { decode(1, 1, 0); }
static void grid1(void) { decode(1, 0, 1); }

int main(int argc, char **argv) {
  FILE *f = fopen(argc > 1 ? argv[1] : "bench/out/images/gen-4032x3024.jpg", "rb");
  if (!f) { perror("open"); return 1; }
  fseek(f, 0, SEEK_END); size = ftell(f); fseek(f, 0, SEEK_SET);
  data = malloc(size);
  if (fread(data, 1, size, f) != size) return 1;
  fclose(f);
  row = malloc(65536 * 3);
  run("whole decode 1/1", full1);
  run("whole decode 1/8 (fast mode)", full8);
  run("1/8, crop_scanline centre 3/4", crop8);
  run("1/1, crop_scanline centre 3/4", crop1);
  run("1/1, skip_scanlines to the 3 grid bands", grid1);
  run("entropy decoding only (read_coefficients)", coefficients);
  return 0;
}
