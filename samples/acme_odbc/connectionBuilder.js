// Builds the ODBC connection string for the Acme driver from the dialog's attributes.
(function dsbuilder(attr) {
    var params = {};
    params["SERVER"] = attr[connectionHelper.attributeServer];
    params["PORT"] = attr[connectionHelper.attributePort];
    params["DATABASE"] = attr[connectionHelper.attributeDatabase];
    params["UID"] = attr[connectionHelper.attributeUsername];
    params["PWD"] = attr[connectionHelper.attributePassword];
    params["SSL"] = attr[connectionHelper.attributeSSLMode] == "require" ? "1" : "0";

    var formatted = [];
    for (var key in params) {
        formatted.push(connectionHelper.formatKeyValuePair(key, params[key]));
    }
    return formatted;
})
