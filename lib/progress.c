#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void
progress_start(struct progress *p, size_t total)
{
	p->start = ar_now();
	p->done = 0;
	p->total = total;
	p->best = NULL;
	p->best_s = 0;
}

void
progress_done(struct progress *p, const char *label, int ok, double time_s)
{
	p->done++;
	if (!ok || isnan(time_s) || (p->best != NULL && time_s >= p->best_s))
		return;
	free(p->best);
	p->best = estrdup(label);
	p->best_s = time_s;
}

void
progress_pace(const struct progress *p, const char *unit, struct ar_buf *t)
{
	char spent[32], left[32], best[32];
	double el = ar_now() - p->start;

	if (p->done > 0) {
		ar_fmt_duration(el, spent, sizeof(spent));
		if (p->total > p->done) {
			ar_fmt_duration(el / (double)p->done *
			    (double)(p->total - p->done), left, sizeof(left));
			buf_printf(t, " | %s spent, about %s left", spent,
			    left);
		} else
			buf_printf(t, " | %s spent, %.2f s a %s", spent,
			    el / (double)p->done, unit);
	}
	if (p->best != NULL) {
		ar_fmt_time(p->best_s, best, sizeof(best));
		buf_printf(t, " | fastest %s: %s", best, p->best);
	}
}

void
progress_release(struct progress *p)
{
	free(p->best);
	p->best = NULL;
}

char *
progress_label(const struct spec *s, const space_idx *cfg)
{
	struct ar_buf t = { 0 };
	size_t k;

	buf_adds(&t, "");
	for (k = 0; k < s->nparams; k++)
		buf_printf(&t, "%s%s=%s", k ? " " : "", s->params[k].name,
		    s->params[k].text[cfg[k]]);
	return t.buf;
}
