/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: ba90118281387547a1e2ff915431b478083d215d */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_KBJobs_versions, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()


ZEND_FUNCTION(KBJobs_versions);


static const zend_function_entry ext_functions[] = {
	ZEND_NS_FALIAS("KBJobs", versions, KBJobs_versions, arginfo_KBJobs_versions)
	ZEND_FE_END
};

static void register_kbjobs_symbols(int module_number)
{
	REGISTER_STRING_CONSTANT("KBJobs\\VERSION", KBJ_VERSION, CONST_PERSISTENT);
}
