// connector-packager's emulation of the objects Tableau gives connector scripts, and the dialog logic
// that decides which values reach them. The same file runs in the Python-embedded engine (QuickJS,
// `connection-string`) and in the preview page's sandboxed worker (`preview`), so both compute the
// same thing. Facts come from Tableau's connector SDK documentation; what it does not say is marked
// "inferred" here and in the README.
//
// Entry point: cpRuntime.evaluate(connector, values, options) -> a plain object (see README,
// "connection-string"). Nothing here touches the network, files or storage.
var cpRuntime = (function () {
  "use strict";
  // Captured before any connector script runs, so a script that replaces them cannot change our output.
  var stringify = JSON.stringify, parse = JSON.parse, RegExpCtor = RegExp, StringCtor = String;
  var isArray = Array.isArray, hasOwn = Object.prototype.hasOwnProperty, keysOf = Object.keys;
  var SECRET_MASK = "********";
  var UNAVAILABLE = ["require", "fetch", "XMLHttpRequest", "importScripts", "WebSocket", "EventSource",
                     "Worker", "SharedWorker", "indexedDB", "caches", "localStorage", "sessionStorage",
                     "postMessage", "close", "navigator", "location", "Deno", "process", "std", "os",
                     // a worker's ways out that the Content-Security-Policy does not close (BroadcastChannel
                     // reaches every page and worker of the file:// origin), or closes only for now
                     "BroadcastChannel", "WebTransport", "WebSocketStream", "Notification",
                     "webkitRequestFileSystem", "webkitRequestFileSystemSync", "webkitResolveLocalFileSystemURL",
                     "webkitResolveLocalFileSystemSyncURL"];

  function own(object, key) { return object !== null && object !== undefined && hasOwn.call(object, key); }

  // What ThrowTableauException throws: Tableau shows its message to the user.
  function TableauException(message) { this.message = message; this.stack = new Error(message).stack; }

  // ---------------------------------------------------------------- ODBC key=value strings
  function needsBraces(value) {
    // ODBC's rule for values that must be enclosed in braces; exactly which values Tableau wraps is
    // inferred: a ';', '{' or '}', or leading or trailing spaces.
    return /[;{}]/.test(value) || /^\s|\s$/.test(value);
  }

  function cpFormatKeyValuePair(key, value) {
    var text = value === undefined || value === null ? "" : StringCtor(value);
    if (needsBraces(text)) { text = "{" + text.split("}").join("}}") + "}"; }
    return StringCtor(key) + "=" + text;
  }

  function cpParseOdbcConnectString(text) {
    var result = {}, i = 0, s = text === undefined || text === null ? "" : StringCtor(text);
    while (i < s.length) {
      var eq = s.indexOf("=", i), semi = s.indexOf(";", i);
      if (eq < 0 || (semi >= 0 && semi < eq)) {  // a part without '=': skipped
        if (semi < 0) { break; }
        i = semi + 1;
        continue;
      }
      var key = s.slice(i, eq).trim(), value = "";
      i = eq + 1;
      if (s.charAt(i) === "{") {
        i += 1;
        while (i < s.length) {
          var ch = s.charAt(i);
          if (ch === "}") {
            if (s.charAt(i + 1) === "}") { value += "}"; i += 2; continue; }
            i += 1;
            break;
          }
          value += ch;
          i += 1;
        }
        var next = s.indexOf(";", i);
        i = next < 0 ? s.length : next + 1;
      } else {
        var end = s.indexOf(";", i);
        value = s.slice(i, end < 0 ? s.length : end);
        i = end < 0 ? s.length : end + 1;
      }
      if (key !== "") { result[key] = value; }
    }
    return result;
  }

  // ---------------------------------------------------------------- the dialog: values, conditions, rules
  function booleanValue(field, raw) {
    if (raw === field.trueValue || raw === "true") { return field.trueValue; }
    if (raw === field.falseValue || raw === "false") { return field.falseValue; }
    return raw;
  }

  function visibleOptions(field, current) {
    var options = [];
    (field.groups || []).forEach(function (group) {
      if (conditionsHold(group.conditions, current)) { options.push.apply(options, group.options); }
    });
    return options;
  }

  function conditionsHold(conditions, current) {
    if (!conditions || conditions.length === 0) { return true; }
    for (var i = 0; i < conditions.length; i += 1) {
      var c = conditions[i];
      if (own(current, c.field) && current[c.field] === c.value) { return true; }
    }
    return false;
  }

  // The dialog's state for the values the user entered: which fields are visible, what each holds,
  // which attributes reach the scripts. Conditions are re-evaluated until nothing changes (at most once
  // per field: circular conditions, which Tableau refuses, cannot loop).
  function dialogState(connector, values) {
    var fields = connector.fields || [];
    var current = {}, visible = {}, i, round;
    fields.forEach(function (field) { visible[field.name] = field.editable !== false; });
    for (round = 0; round <= fields.length; round += 1) {
      var changed = false;
      for (i = 0; i < fields.length; i += 1) {
        var field = fields[i], value;
        var shown = field.editable !== false && conditionsHold(field.conditions, current);
        if (field.editable === false) {
          value = field.defaultValue;  // hidden, not editable: its default still reaches the scripts
        } else if (!shown) {
          value = undefined;  // hidden by its conditions: no value (inferred)
        } else if (own(values, field.name)) {
          value = StringCtor(values[field.name]);
        } else {
          value = field.defaultValue;
        }
        if (shown && value !== undefined && field.valueType === "boolean") { value = booleanValue(field, value); }
        if (shown && field.valueType === "selection") {
          var options = visibleOptions(field, current);
          var allowed = options.some(function (o) { return o.value === value; });
          if (!allowed) { value = options.length ? options[0].value : ""; }
        }
        if (visible[field.name] !== shown || current[field.name] !== value) { changed = true; }
        visible[field.name] = shown;
        if (value === undefined) { delete current[field.name]; } else { current[field.name] = value; }
      }
      if (!changed) { break; }
    }
    var problems = [], options = {};
    fields.forEach(function (field) {
      if (field.valueType === "selection") {
        options[field.name] = visibleOptions(field, current).map(function (o) { return o.value; });
      }
      if (!visible[field.name]) { return; }
      var value = own(current, field.name) ? current[field.name] : "";
      if (!field.optional && value === "") {
        problems.push({field: field.name, problem: "required", message: field.label + " is required"});
      } else if (field.regex && value !== "") {
        var matches;
        try { matches = new RegExpCtor(field.regex).test(value); } catch (e) { matches = true; }
        if (!matches) {
          problems.push({field: field.name, problem: "validation-rule",
                         message: field.label + " does not match " + field.regex});
        }
      }
    });
    return {values: current, visible: visible, options: options, problems: problems,
            signIn: problems.length === 0};
  }

  // ---------------------------------------------------------------- the objects scripts see
  var ATTRIBUTE_CONSTANTS = {
      attributeAuthentication: "authentication", attributeClass: "class", attributeDatabase: "dbname",
      attributeInitialSQL: "one-time-sql", attributePassword: "password", attributePort: "port",
      attributeServer: "server", attributeService: "service", attributeSSLCert: "sslcert",
      attributeSSLMode: "sslmode", attributeTableauServerAuthMode: "tableau-server-auth-mode",
      attributeTableauServerUser: "tableau-server-user", attributeUsername: "username",
      attributeWarehouse: "warehouse", attributeVendor1: "vendor1", attributeVendor2: "vendor2",
      attributeVendor3: "vendor3", keywordODBCUsername: "UID", keywordODBCPassword: "PWD",
      valueAuthModeDBImpersonate: "DBImpersonate"
  };

  function makeConnectionHelper(options) {
    var helper = {};
    keysOf(ATTRIBUTE_CONSTANTS).forEach(function (k) { helper[k] = ATTRIBUTE_CONSTANTS[k]; });
    helper.FormatKeyValuePair = cpFormatKeyValuePair;
    helper.formatKeyValuePair = cpFormatKeyValuePair;
    helper.ParseODBCConnectString = cpParseOdbcConnectString;
    helper.GetPlatform = function () { return options.platform; };
    helper.GetProductName = function () { return options.product; };
    helper.GetProductVersion = function () { return options.productVersion; };
    helper.MatchesConnectionAttributes = function (attr, key) { return own(attr, key); };
    helper.ThrowTableauException = function cpThrowTableauException(message) {
      throw new TableauException(StringCtor(message));
    };
    return helper;
  }

  function chooseDriver(connector, options) {
    var rules = connector.drivers || [];
    if (options.driver) {
      var matched = rules.some(function (r) {
        if (r.type === "regex") {
          try { return new RegExpCtor("^(?:" + r.name + ")$").test(options.driver); } catch (e) { return false; }
        }
        return r.name === options.driver;
      });
      return {name: options.driver, matched: rules.length === 0 ? null : matched, source: "given"};
    }
    if (rules.length === 0) { return {name: null, matched: null, source: "none"}; }
    return {name: rules[0].name, matched: true, source: "first driver-resolver rule"};
  }

  // ---------------------------------------------------------------- running one script
  // Our own functions a script calls are all named cp*: their frames are skipped to find the script's line.
  var RUNTIME_FUNCTIONS = /(?:^|\.)(?:cp[A-Z]|new TableauException|TableauException|Error)/;

  function scriptPosition(error, file) {
    // The first stack frame that is the script's own (V8 and QuickJS both print "at name (where:L:C)").
    var stack = error && typeof error.stack === "string" ? error.stack : "";
    var lines = stack.split("\n");
    for (var i = 0; i < lines.length; i += 1) {
      var m = /at (?:(\S+) )?\(?(.*?):(\d+):(\d+)\)?\s*$/.exec(lines[i]);
      if (!m) { continue; }
      var name = m[1] || "";
      if (RUNTIME_FUNCTIONS.test(name)) { continue; }
      if (m[2].indexOf(file) < 0 && m[2] !== "<input>" && m[2].indexOf("<anonymous>") < 0) { continue; }
      return {line: +m[3], column: +m[4]};
    }
    return {line: null, column: null};
  }

  function failure(script, kind, message, error) {
    var where = {line: null, column: null};
    // A thrown value is the script's: its getters, proxy traps and toString may throw in turn.
    try { if (error) { where = scriptPosition(error, script.file); } } catch (e) { /* no position */ }
    return {file: script.file, role: script.role, kind: kind, message: message, line: where.line,
            column: where.column};
  }

  function describe(error) {
    try {
      if (error instanceof TableauException) { return StringCtor(error.message); }
      if (error && typeof error === "object" && "message" in error) {
        return (error.name ? StringCtor(error.name) + ": " : "") + StringCtor(error.message);
      }
      return StringCtor(error);
    } catch (e) {
      return "a thrown value that cannot be shown (reading it threw again)";
    }
  }

  function runScript(script, attr) {
    var fn;
    try {
      fn = (0, eval)(script.source + "\n//# sourceURL=" + script.file);
    } catch (e) {
      return {error: failure(script, e instanceof SyntaxError ? "syntax" : "exception", describe(e), e)};
    }
    if (typeof fn !== "function") {
      return {error: failure(script, "result", "the script is not a function expression (it evaluates to " +
                             (fn === null ? "null" : typeof fn) + ")", null)};
    }
    try {
      return {value: fn(attr)};
    } catch (e) {
      var tableau = e instanceof TableauException;
      return {error: failure(script, tableau ? "tableau" : "exception", describe(e), e)};
    }
  }

  function stringList(value) {
    if (!isArray(value)) { return null; }
    var copy = [], length = value.length;  // each item read once: a getter cannot answer twice
    for (var i = 0; i < length; i += 1) {
      var item = value[i];
      if (typeof item !== "string") { return null; }
      copy.push(item);
    }
    return copy;
  }

  // A script's result read by `reader`, or null when reading it throws (a getter or a proxy trap).
  function readResult(reader, value) {
    try { return reader(value); } catch (e) { return null; }
  }

  function propertiesOf(value) {
    var list = stringList(value);
    if (list !== null) {  // the deprecated form: "key=value" strings
      var fromList = {};
      list.forEach(function (item) {
        var eq = item.indexOf("=");
        if (eq >= 0) { fromList[item.slice(0, eq)] = item.slice(eq + 1); }
      });
      return {properties: fromList, style: "array"};
    }
    if (value === null || typeof value !== "object" || isArray(value)) { return null; }
    var props = {};
    var keys = keysOf(value);
    for (var i = 0; i < keys.length; i += 1) {
      var v = value[keys[i]];
      if (v === undefined || v === null) { props[keys[i]] = ""; continue; }
      if (typeof v === "object" || typeof v === "function") { return null; }
      props[keys[i]] = StringCtor(v);
    }
    return {properties: props, style: "object"};
  }

  // ---------------------------------------------------------------- masking secrets
  function masker(secrets) {
    var texts = [];
    secrets.forEach(function (value) {
      if (value === "") { return; }
      var braced = cpFormatKeyValuePair("", value).slice(1);
      [braced, value].forEach(function (t) { if (texts.indexOf(t) < 0) { texts.push(t); } });
    });
    texts.sort(function (a, b) { return b.length - a.length; });
    return function (text) {
      var out = StringCtor(text);
      texts.forEach(function (t) { out = out.split(t).join(SECRET_MASK); });
      return out;
    };
  }

  // ---------------------------------------------------------------- the whole evaluation
  function evaluate(connector, values, options) {
    options = options || {};
    var opts = {platform: options.platform || "win", product: options.product || "TableauDesktop",
                productVersion: options.productVersion || "2024.2.0", driver: options.driver || ""};
    var state = dialogState(connector, values || {});
    var attr = {};
    keysOf(state.values).forEach(function (k) { attr[k] = state.values[k]; });
    keysOf(connector.platformAttributes || {}).forEach(function (k) {
      if (!own(attr, k)) { attr[k] = connector.platformAttributes[k]; }
    });
    keysOf(values || {}).forEach(function (k) {  // values for attributes that are not dialog fields
      if (!own(state.visible, k) && !own(attr, k)) { attr[k] = StringCtor(values[k]); }
    });
    var secretNames = connector.secrets || [];
    var mask = masker(secretNames.filter(function (n) { return own(attr, n); })
                                 .map(function (n) { return attr[n]; }));
    var driver = chooseDriver(connector, opts);
    var logs = [];
    var result = {
      attributes: keysOf(attr).sort().map(function (k) {
        return {name: k, value: secretNames.indexOf(k) >= 0 && attr[k] !== "" ? SECRET_MASK : attr[k]};
      }),
      visible: state.visible, options: state.options, problems: state.problems, signIn: state.signIn,
      driver: driver,
      normalizer: connector.normalizer === null || connector.normalizer === undefined ? null :
        connector.normalizer.map(function (name) {
          return {name: name, set: own(attr, name) && attr[name] !== ""};
        }),
      connectString: null, url: null, parts: null, properties: null, propertiesStyle: null,
      logs: logs, error: null
    };
    var g = (0, eval)("this");
    g.connectionHelper = makeConnectionHelper(opts);
    g.driverLocator = {
      keywordDriver: "DRIVER",
      LocateDriver: function () { return driver.name || ""; },
      LocateDriverVersion: function () { return ""; }
    };
    g.logging = {Log: function (message) { logs.push(StringCtor(message)); }};
    var scripts = connector.scripts || [];
    for (var i = 0; i < scripts.length && result.error === null; i += 1) {
      var script = scripts[i];
      if (script.role !== "connection-builder" && script.role !== "connection-properties") { continue; }
      var run = runScript(script, attr);
      if (run.error) { result.error = run.error; break; }
      if (script.role === "connection-builder") {
        var parts = readResult(stringList, run.value);
        if (parts === null) {
          result.error = failure(script, "result", "the connection builder must return an array of strings", null);
          break;
        }
        result.parts = parts.map(mask);
        if (connector.jdbc) { result.url = mask(parts.join("")); } else { result.connectString = mask(parts.join(";")); }
      } else {
        var props = readResult(propertiesOf, run.value);
        if (props === null) {
          result.error = failure(script, "result", "the connection properties script must return an object " +
                                 "of strings (or an array of \"key=value\" strings)", null);
          break;
        }
        result.properties = {};
        keysOf(props.properties).sort().forEach(function (k) { result.properties[k] = mask(props.properties[k]); });
        result.propertiesStyle = props.style;
      }
    }
    // What a script logs or throws is shown too: a secret it mentions is masked there as well.
    result.logs = logs.map(mask);
    if (result.error !== null) { result.error.message = mask(result.error.message); }
    return result;
  }

  // Names that do not exist for connector scripts in Tableau: each throws when used.
  function blockUnavailable() {
    var g = (0, eval)("this");
    UNAVAILABLE.forEach(function (name) {
      var blocked = function cpBlocked() { throw new Error(name + " is not available to connector scripts"); };
      try {
        Object.defineProperty(g, name, {value: blocked, writable: false, configurable: false});
      } catch (e) { /* already fixed by the host: nothing to shadow */ }
    });
  }

  return {
    evaluate: evaluate,
    evaluateJson: function (request) {
      var r = parse(request);
      return stringify(evaluate(r.connector, r.values, r.options));
    },
    constantsJson: function () { return stringify(ATTRIBUTE_CONSTANTS); },
    formatKeyValuePair: cpFormatKeyValuePair,
    parseOdbcConnectString: cpParseOdbcConnectString,
    blockUnavailable: blockUnavailable
  };
})();
