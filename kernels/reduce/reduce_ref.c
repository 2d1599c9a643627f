/*
 * reduce_ref: what reduce.cu computes, one partial sum per chunk of
 * chunk elements (the last one may be short), summed in double so that
 * the reference is the more accurate side of the comparison.
 */
void
reduce_ref(int n, int chunk, const float *in, float *out)
{
	int b, nb = (n + chunk - 1) / chunk;
	long i, end;

	for (b = 0; b < nb; b++) {
		double s = 0.0;

		end = (long)(b + 1) * chunk < n ? (long)(b + 1) * chunk : n;
		for (i = (long)b * chunk; i < end; i++)
			s += in[i];
		out[b] = (float)s;
	}
}
