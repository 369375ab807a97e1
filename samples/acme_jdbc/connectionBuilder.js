// Builds the JDBC URL for the Acme driver.
(function dsbuilder(attr) {
    var url = "jdbc:acme://" + attr[connectionHelper.attributeServer] + ":" + attr[connectionHelper.attributePort];
    url += "/" + attr[connectionHelper.attributeDatabase];
    return [url];
})
