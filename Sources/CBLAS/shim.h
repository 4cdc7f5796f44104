#include <cblas.h>
// OpenBLAS runtime thread control; not part of the cblas.h standard interface.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
