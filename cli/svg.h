/* svg.h: the charts and the text escaping the voc commands share. voc
 * trends --format svg writes a line chart as a file of its own; voc report
 * inlines a line chart and a bar chart in its HTML page. Every string that
 * reaches the output (theme names, labels, customer text) goes through
 * voc_svg_escape, which is safe for HTML, XML and SVG alike. */
#ifndef VOC_CLI_SVG_H
#define VOC_CLI_SVG_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write s[0..len) (stopping early at a NUL) with & < > " ' as character
 * references and control characters other than tab, newline and carriage
 * return as spaces: safe as element text and inside a quoted attribute. */
void voc_svg_escape_n(FILE *fp, const char *s, size_t len);

/* voc_svg_escape_n over a whole NUL-terminated string; NULL writes nothing. */
void voc_svg_escape(FILE *fp, const char *s);

/* The colour of series i ("#1f77b4", ...); cycles after ten. */
const char *voc_svg_color(size_t i);

/* A period's label as voc trends prints it: "2026-W14" (ISO week),
 * "2026-03" (month), "2026-03-04" (day). start is the period's first
 * second (UTC). */
void voc_svg_period_label(voc_interval iv, int64_t start, char *out, size_t cap);

/* A line chart: one line per series over shared x labels, with a y axis
 * of round ticks, grid lines and a legend on the right. All pointers are
 * borrowed for the call. */
typedef struct voc_svg_lines {
    const char *title;           /* drawn at the top left; NULL for none */
    const char *y_label;         /* axis title, e.g. "items" */
    bool percent;                /* values are shares (0..1): ticks as percentages */
    bool standalone;             /* a file of its own: add the xmlns attribute */
    size_t point_count;          /* x positions */
    const char *const *x_labels; /* point_count labels (at most about 12 are drawn) */
    size_t series_count;
    const char *const *names; /* series_count legend names */
    const double *values;     /* point_count x series_count, row-major by point */
    const char *empty_text;   /* drawn when series_count is 0; NULL for none */
} voc_svg_lines;

void voc_svg_line_chart(FILE *fp, const voc_svg_lines *c);

/* A horizontal bar chart around zero: negative values extend left in red,
 * positive ones right in green, each bar labelled with its name on the left
 * and its value at its end. All pointers are borrowed for the call. */
typedef struct voc_svg_bars {
    const char *title;   /* drawn at the top left; NULL for none */
    const char *x_label; /* axis title under the chart, e.g. "NPS points" */
    bool standalone;     /* a file of its own: add the xmlns attribute */
    size_t count;
    const char *const *labels; /* count bar names */
    const double *values;      /* count signed values */
    const char *value_format;  /* printf format for one double, e.g. "%+.1f" */
} voc_svg_bars;

void voc_svg_bar_chart(FILE *fp, const voc_svg_bars *c);

#endif
