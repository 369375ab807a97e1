// Passes the OAuth access token to the Acme Cloud JDBC driver.
(function propertiesbuilder(attr) {
    var props = {};
    props["authenticator"] = "oauth";
    props["token"] = attr["ACCESSTOKEN"];
    return props;
})
