/*
 * softmax_ref: the softmax of each row of a rows x cols row-major
 * matrix, in double: the row's maximum first, subtracted before the
 * exponential so that none overflows, then the sum and the quotients.
 */
#include <math.h>

void
softmax_ref(int rows, int cols, const float *in, float *out)
{
	int r, c;

	for (r = 0; r < rows; r++) {
		const float *x = in + (long)r * cols;
		float *y = out + (long)r * cols;
		double mx = -HUGE_VAL, sum = 0.0;

		for (c = 0; c < cols; c++)
			if (x[c] > mx)
				mx = x[c];
		for (c = 0; c < cols; c++)
			sum += exp((double)x[c] - mx);
		for (c = 0; c < cols; c++)
			y[c] = (float)(exp((double)x[c] - mx) / sum);
	}
}
