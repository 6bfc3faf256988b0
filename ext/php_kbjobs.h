/* php_kbjobs.h - the kbjobs module entry, shared by the files of ext/. */
#ifndef PHP_KBJOBS_H
#define PHP_KBJOBS_H

#include "kbj.h"

extern zend_module_entry kbjobs_module_entry;
#define phpext_kbjobs_ptr &kbjobs_module_entry

#define PHP_KBJOBS_VERSION KBJ_VERSION

#if defined(ZTS) && defined(COMPILE_DL_KBJOBS)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif /* PHP_KBJOBS_H */
