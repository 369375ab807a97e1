// Driver properties for the Acme JDBC driver.
(function propertiesbuilder(attr) {
    var props = {};
    if (attr[connectionHelper.attributeAuthentication] == "auth-user-pass") {
        props["user"] = attr[connectionHelper.attributeUsername];
        props["password"] = attr[connectionHelper.attributePassword];
    }
    props["ssl"] = attr[connectionHelper.attributeSSLMode] == "require" ? "true" : "false";
    props["warehouse"] = attr["v-warehouse"];
    return props;
})
