// Builds the JDBC URL for Acme Cloud.
(function dsbuilder(attr) {
    return ["jdbc:acmecloud://" + attr[connectionHelper.attributeServer]];
})
