#include <cblas.h>
// OpenBLAS's own thread control: the engine divides work between cores itself.
void openblas_set_num_threads(int num_threads);
