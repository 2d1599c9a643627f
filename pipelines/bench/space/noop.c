/* The space benchmark measures the search space only; nothing is built. */
void
noop(void)
{
}
