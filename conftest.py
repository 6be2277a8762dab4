pytest_plugins = ["crm.tests.fixtures", "testsupport.fixtures"]
