/* svg.c: SVG line and bar charts and the one text escaper of the voc
 * commands (see svg.h). Plain SVG 1.1 with presentation attributes, no
 * scripts, fonts or external references: the charts render the same in a
 * browser, in a mail client that shows HTML, and on paper. */
#include "cli/svg.h"

#include "common/utf8.h"
#include "common/vtime.h"

#include <math.h>
#include <string.h>

void voc_svg_escape_n(FILE *fp, const char *s, size_t len)
{
    if (!s) return;
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    size_t i = 0;
    for (; i < len && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            /* XML forbids most C0 controls even as references. */
            rep = c < 0x20 && c != '\t' && c != '\n' && c != '\r' ? " " : NULL;
        }
        if (!rep) continue;
        fwrite(s + run, 1, i - run, fp);
        fputs(rep, fp);
        run = i + 1;
    }
    fwrite(s + run, 1, i - run, fp);
}

void voc_svg_escape(FILE *fp, const char *s)
{
    if (s) voc_svg_escape_n(fp, s, strlen(s));
}

/* At most cols code points of s, an ellipsis when cut. */
static void s_escape_clipped(FILE *fp, const char *s, size_t cols)
{
    size_t len = strlen(s);
    if (voc_utf8_count(s, len) <= cols) {
        voc_svg_escape_n(fp, s, len);
        return;
    }
    voc_svg_escape_n(fp, s, voc_utf8_prefix(s, len, cols - 1));
    fputs("…", fp);
}

const char *voc_svg_color(size_t i)
{
    static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                         "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
    return colors[i % (sizeof colors / sizeof colors[0])];
}

void voc_svg_period_label(voc_interval iv, int64_t start, char *out, size_t cap)
{
    int64_t days = start / 86400, y;
    unsigned m, d;
    if (start < 0 && start % 86400) days--;
    voc_civil_from_days(days, &y, &m, &d);
    if (iv == VOC_INTERVAL_DAY) {
        snprintf(out, cap, "%04lld-%02u-%02u", (long long)y, m, d);
    } else if (iv == VOC_INTERVAL_MONTH) {
        snprintf(out, cap, "%04lld-%02u", (long long)y, m);
    } else {
        /* ISO week: the week's Thursday decides the year. */
        int64_t thu = days + 3, ty;
        unsigned tm, td;
        voc_civil_from_days(thu, &ty, &tm, &td);
        int64_t jan1 = voc_days_from_civil(ty, 1, 1);
        snprintf(out, cap, "%04lld-W%02lld", (long long)ty, (long long)((thu - jan1) / 7 + 1));
    }
}

/* A round step (1, 2 or 5 times a power of ten) for about n ticks over span. */
static double s_step(double span, int n)
{
    double raw = span / n, mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void s_open(FILE *fp, bool standalone, int w, int h, const char *cls, const char *title)
{
    fprintf(fp,
            "<svg%s class=\"%s\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "font-family=\"sans-serif\" font-size=\"12\"",
            standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "", cls, w, h, w, h);
    if (title) {
        fputs(" aria-label=\"", fp);
        voc_svg_escape(fp, title);
        fputc('"', fp);
    }
    fputs(">\n", fp);
    fprintf(fp, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
    if (title) {
        fputs("<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", fp);
        voc_svg_escape(fp, title);
        fputs("</text>\n", fp);
    }
}

void voc_svg_line_chart(FILE *fp, const voc_svg_lines *c)
{
    const int W = 900, L = 70, R = 190, T = 40, B = 70;
    /* Taller when the legend needs it. */
    int H = 460;
    if (T + 10 + (int)c->series_count * 20 + B > H) H = T + 10 + (int)c->series_count * 20 + B;
    int pw = W - L - R, ph = H - T - B;
    size_t np = c->point_count;
    double max = 0;
    for (size_t i = 0; i < np * c->series_count; i++)
        max = fmax(max, c->values[i]);
    if (max <= 0) max = c->percent ? 0.01 : 1;
    double step = s_step(max, 5), top = ceil(max / step) * step;
    s_open(fp, c->standalone, W, H, "chart lines", c->title);
    /* y axis, grid and labels */
    for (double v = 0; v <= top + step / 2; v += step) {
        double y = T + ph - v / top * ph;
        fprintf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", L,
                y, L + pw, y);
        fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g%s</text>\n", L - 6, y + 4,
                c->percent ? v * 100 : v, c->percent ? "%" : "");
    }
    fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L,
            T + ph);
    fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T + ph,
            L + pw, T + ph);
    if (c->y_label) {
        fprintf(fp, "<text transform=\"translate(16 %d) rotate(-90)\" text-anchor=\"middle\">",
                T + ph / 2);
        voc_svg_escape(fp, c->y_label);
        fputs("</text>\n", fp);
    }
    /* x ticks and labels: at most about 12 */
    double dx = np > 1 ? (double)pw / (double)(np - 1) : 0;
    size_t every = np > 12 ? (np + 11) / 12 : 1;
    for (size_t p = 0; p < np; p += every) {
        double x = L + (np > 1 ? dx * (double)p : pw / 2.0);
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>\n", x,
                T + ph, x, T + ph + 5);
        fprintf(fp,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-35 %.1f %d)\">",
                x, T + ph + 18, x, T + ph + 18);
        voc_svg_escape(fp, c->x_labels[p]);
        fputs("</text>\n", fp);
    }
    /* one line per series, dots when there is room, and a legend entry */
    for (size_t k = 0; k < c->series_count; k++) {
        const char *color = voc_svg_color(k);
        fputs("<polyline class=\"series\" data-theme=\"", fp);
        voc_svg_escape(fp, c->names[k]);
        fprintf(fp, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        for (size_t p = 0; p < np; p++) {
            double x = L + (np > 1 ? dx * (double)p : pw / 2.0);
            double y = T + ph - c->values[p * c->series_count + k] / top * ph;
            fprintf(fp, "%s%.1f,%.1f", p ? " " : "", x, y);
        }
        fputs("\"/>\n", fp);
        for (size_t p = 0; np <= 60 && p < np; p++) {
            double x = L + (np > 1 ? dx * (double)p : pw / 2.0);
            double y = T + ph - c->values[p * c->series_count + k] / top * ph;
            fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", x, y, color);
        }
        int ly = T + 10 + (int)k * 20;
        fprintf(
            fp,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
            L + pw + 16, ly, L + pw + 36, ly, color);
        fprintf(fp, "<text x=\"%d\" y=\"%d\">", L + pw + 42, ly + 4);
        s_escape_clipped(fp, c->names[k], 20);
        fputs("</text>\n", fp);
    }
    if (!c->series_count && c->empty_text) {
        fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", L + pw / 2, T + ph / 2);
        voc_svg_escape(fp, c->empty_text);
        fputs("</text>\n", fp);
    }
    fputs("</svg>\n", fp);
}

void voc_svg_bar_chart(FILE *fp, const voc_svg_bars *c)
{
    /* Names right-aligned in a column on the left; room for the value
     * labels past the longest bar on either side of zero. */
    const int W = 900, L = 250, R = 20, B = 46, ROW = 28, BAR = 18, PAD = 56;
    const int T = c->title ? 44 : 14;
    int pw = W - L - R, ph = (int)c->count * ROW;
    if (!c->count) ph = ROW;
    int H = T + ph + B;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < c->count; i++) {
        lo = fmin(lo, c->values[i]);
        hi = fmax(hi, c->values[i]);
    }
    if (hi - lo <= 0) hi = 1;
    double step = s_step(hi - lo, 6);
    lo = floor(lo / step) * step;
    hi = ceil(hi / step) * step;
    double x0 = L + (lo < 0 ? PAD : 0), x1 = L + pw - (hi > 0 ? PAD : 0);
#define S_X(v) (x0 + ((v)-lo) / (hi - lo) * (x1 - x0))
    s_open(fp, c->standalone, W, H, "chart bars", c->title);
    /* grid, ticks, zero line */
    for (double v = lo; v <= hi + step / 2; v += step) {
        double x = S_X(v);
        bool zero = fabs(v) < step / 2;
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x, T, x,
                T + ph, zero ? "#555555" : "#e0e0e0");
        fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n", x, T + ph + 16,
                zero ? 0.0 : v);
    }
    if (c->x_label) {
        fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", (x0 + x1) / 2,
                T + ph + 36);
        voc_svg_escape(fp, c->x_label);
        fputs("</text>\n", fp);
    }
    double zx = S_X(0.0);
    char num[64];
    for (size_t i = 0; i < c->count; i++) {
        double v = c->values[i], x = S_X(v);
        int y = T + (int)i * ROW + (ROW - BAR) / 2;
        const char *fill = v < 0 ? "#d9534f" : v > 0 ? "#4caf50" : "#9e9e9e";
        snprintf(num, sizeof num, c->value_format, v);
        fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", L - 8, y + BAR / 2 + 4);
        s_escape_clipped(fp, c->labels[i], 36);
        fputs("</text>\n", fp);
        fprintf(fp,
                "<rect class=\"bar %s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                "fill=\"%s\"><title>",
                v < 0 ? "neg" : "pos", fmin(x, zx), y, fmax(fabs(x - zx), 1.0), BAR, fill);
        voc_svg_escape(fp, c->labels[i]);
        fprintf(fp, ": %s</title></rect>\n", num);
        fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n",
                v < 0 ? x - 4 : x + 4, y + BAR / 2 + 4, v < 0 ? "end" : "start", num);
    }
#undef S_X
    fputs("</svg>\n", fp);
}
