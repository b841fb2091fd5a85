# GENERATED from deploy/terraform/_shared/variables.tf by `node scripts/terraform-sync.mjs`: edit that file, then run it.

# Deployment settings.

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "trailguard"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,39}$", var.name_prefix))
    error_message = "The prefix must be 1-40 letters, digits, - or _, starting with a letter."
  }
}

variable "functions" {
  description = "Which functions to deploy."
  type        = set(string)
  default     = ["login-whitelist", "unauthorized-api", "config-compliance", "trail-integrity"]

  validation {
    condition     = length(setsubtract(var.functions, ["login-whitelist", "unauthorized-api", "config-compliance", "trail-integrity"])) == 0
    error_message = "The functions are login-whitelist, unauthorized-api, config-compliance and trail-integrity."
  }
}

variable "package_dir" {
  description = "Folder holding the code packages <fn>.zip built by `npm run build` (dist/functiongraph)."
  type        = string
  default     = null
}

variable "runtime" {
  description = "FunctionGraph runtime; the bundles target Node.js 20."
  type        = string
  default     = "Node.js20.15"

  validation {
    condition     = can(regex("^Node\\.js(20|22)\\.[0-9]+$", var.runtime))
    error_message = "The runtime must be Node.js 20 or later, e.g. Node.js20.15."
  }
}

variable "memory_size" {
  description = "Memory of each function, MB."
  type        = number
  default     = 256

  validation {
    condition     = contains([128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096], var.memory_size)
    error_message = "The memory size must be one of FunctionGraph's sizes (128 to 4096 MB)."
  }
}

variable "timeout" {
  description = "Timeout of each function, seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout >= 3 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "The timeout must be a whole number of seconds from 3 to 900."
  }
}

# The alert topic.

variable "alert_topic_name" {
  description = "Name of the SMN topic the functions publish to (created here unless existing_topic_urn is set)."
  type        = string
  default     = "trailguard-alerts"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$", var.alert_topic_name))
    error_message = "An SMN topic name is 1-255 letters, digits, - or _, starting with a letter or digit."
  }
}

variable "existing_topic_urn" {
  description = "Publish to this existing topic instead of creating one."
  type        = string
  default     = null

  validation {
    condition     = var.existing_topic_urn == null || can(regex("^urn:smn:[a-z]{2}(-[a-z0-9]+){1,4}:[A-Za-z0-9]{1,64}:[A-Za-z0-9][A-Za-z0-9_-]{0,254}$", var.existing_topic_urn))
    error_message = "The topic URN must be urn:smn:<region>:<project id>:<topic name>."
  }
}

variable "subscriptions" {
  description = "Subscriptions of the alert topic: protocol email, sms, http or https, and the endpoint. Each must confirm before it receives anything."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["email", "sms", "http", "https"], s.protocol)])
    error_message = "A subscription protocol is email, sms, http or https."
  }

  validation {
    condition = alltrue([for s in var.subscriptions : (
      s.protocol == "email" ? can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", s.endpoint)) :
      s.protocol == "sms" ? can(regex("^\\+?[0-9]{6,20}$", s.endpoint)) :
      startswith(s.endpoint, "${s.protocol}://")
    )])
    error_message = "An email endpoint is an address, an sms endpoint a phone number, an http(s) endpoint a URL of that scheme."
  }
}

variable "project_id" {
  description = "PROJECT_ID: the project id, when the FunctionGraph context does not give it."
  type        = string
  default     = null

  validation {
    condition     = var.project_id == null || can(regex("^[A-Za-z0-9]{1,64}$", var.project_id))
    error_message = "A project id is 1-64 letters or digits."
  }
}

variable "sink_endpoint" {
  description = "SINK_ENDPOINT: SMN endpoint override (a VPC endpoint, or a region without a known host)."
  type        = string
  default     = null

  validation {
    condition     = var.sink_endpoint == null || can(regex("^https?://[^/?#\\s]+", var.sink_endpoint))
    error_message = "The endpoint must be an http(s) URL."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every function."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "The log level is one of fatal, error, warn, info, debug, trace, silent."
  }
}

variable "max_decompressed_mb" {
  description = "MAX_DECOMPRESSED_MB: cap on the decompressed size of one gzip input."
  type        = number
  default     = null

  validation {
    condition     = var.max_decompressed_mb == null || try(var.max_decompressed_mb >= 1 && floor(var.max_decompressed_mb) == var.max_decompressed_mb, false)
    error_message = "MAX_DECOMPRESSED_MB is a whole number of MiB, at least 1."
  }
}

# Alert delivery (README "Alert delivery: routes, formats, chat").

variable "alert_format" {
  description = "ALERT_FORMAT: how alerts are written to topics: text or structured (one message per protocol; chatbot is SNS only). Unset: structured on SMN."
  type        = string
  default     = null

  validation {
    condition     = var.alert_format == null || contains(["text", "structured"], coalesce(var.alert_format, "-"))
    error_message = "ALERT_FORMAT on SMN is text or structured (chatbot is for AWS Chatbot, SNS only)."
  }
}

variable "routes" {
  description = "ROUTES: JSON array of routes, first match on account, region, function, rule or severity -> topics and webhook:<name> (README). Webhook URLs go in webhook_url / extra_environment WEBHOOK_URL_<NAME>, never here."
  type        = string
  default     = null

  validation {
    condition     = var.routes == null || can(tolist(jsondecode(var.routes)))
    error_message = "ROUTES is a JSON array of routes."
  }
}

variable "webhook_url" {
  description = "WEBHOOK_URL: the webhook (Slack, Teams Workflows, HTTPS) for ALERT_SINK=webhook or a route's webhook; a secret. More named ones: extra_environment WEBHOOK_URL_<NAME>."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.webhook_url == null || can(regex("^https://[^/?#\\s]+", var.webhook_url))
    error_message = "WEBHOOK_URL must be an https URL."
  }
}

variable "webhook_format" {
  description = "WEBHOOK_FORMAT: slack, teams or json. Unset: from the URL's host, else json."
  type        = string
  default     = null

  validation {
    condition     = var.webhook_format == null || contains(["slack", "teams", "json"], coalesce(var.webhook_format, "-"))
    error_message = "WEBHOOK_FORMAT is slack, teams or json."
  }
}

variable "extra_environment" {
  description = "More variables for every function, e.g. the alert-memory stage's state-store settings (see README)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.extra_environment : can(regex("^[A-Za-z][A-Za-z0-9_]*$", k)) && !startswith(k, "RUNTIME_")])
    error_message = "Variable names are letters, digits and _, starting with a letter, and not FunctionGraph's own RUNTIME_*."
  }
}

# login-whitelist.

variable "ip_whitelist" {
  description = "IP_WHITELIST: allowed source addresses of console logins: IPv4, IPv6, CIDR ranges."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([for ip in var.ip_whitelist : (
      can(cidrhost(ip, 0)) || can(cidrhost("${ip}/32", 0)) || can(cidrhost("${ip}/128", 0))
    )])
    error_message = "Every whitelist entry must be an IPv4 or IPv6 address or a CIDR range."
  }

  validation {
    condition     = alltrue([for ip in var.ip_whitelist : length(regexall(":", ip)) > 0 || length(regexall("(^|\\.)0[0-9]", ip)) == 0])
    error_message = "IPv4 entries with leading zeros (010.0.0.1) are ambiguous and refused, as the function refuses them."
  }
}

variable "alert_on_failed_login" {
  description = "ALERT_ON_FAILED_LOGIN: also alert on failed logins from outside the whitelist."
  type        = bool
  default     = false
}

variable "non_ip_source" {
  description = "NON_IP_SOURCE: a login whose source is not an IP: alert or ignore."
  type        = string
  default     = "alert"

  validation {
    condition     = contains(["alert", "ignore"], var.non_ip_source)
    error_message = "NON_IP_SOURCE is alert or ignore."
  }
}

# unauthorized-api.

variable "rule_sets" {
  description = "RULE_SETS: built-in sets (unauthorized, unauthorized-v1.4, cis, cis-v1.4, all) or rule ids (CloudWatch.7)."
  type        = list(string)
  default     = ["unauthorized"]

  validation {
    condition     = alltrue([for r in var.rule_sets : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]*$", r))])
    error_message = "A rule set or rule is a name like cis or an id like CloudWatch.7."
  }
}

variable "custom_rules" {
  description = "CUSTOM_RULES: a JSON array of {name, pattern, severity, metric, description}."
  type        = string
  default     = null

  validation {
    condition     = var.custom_rules == null || can(tolist(jsondecode(var.custom_rules)))
    error_message = "CUSTOM_RULES must be a JSON array."
  }
}

variable "filter_pattern" {
  description = "FILTER_PATTERN: one inline CloudWatch Logs filter pattern."
  type        = string
  default     = null
}

variable "filter_rule_name" {
  description = "FILTER_RULE_NAME: the name of the inline pattern's rule."
  type        = string
  default     = null
}

variable "filter_severity" {
  description = "FILTER_SEVERITY: the inline pattern's severity."
  type        = string
  default     = null

  validation {
    condition     = var.filter_severity == null || contains(["low", "medium", "high", "critical"], coalesce(var.filter_severity, "low"))
    error_message = "A severity is low, medium, high or critical."
  }
}

variable "cts_rule" {
  description = "CTS_RULE: run the Huawei CTS refusal rule."
  type        = bool
  default     = true
}

variable "metric_mode" {
  description = "METRIC_MODE: api sends the count to Cloud Eye, off sends nothing."
  type        = string
  default     = "api"

  validation {
    condition     = contains(["api", "off"], var.metric_mode)
    error_message = "On FunctionGraph METRIC_MODE is api or off (emf is a CloudWatch format)."
  }
}

variable "metric_namespace" {
  description = "METRIC_NAMESPACE: the Cloud Eye namespace, service.item."
  type        = string
  default     = "TRAILGUARD.CloudTrailMetrics"

  validation {
    condition = (
      can(regex("^[A-Za-z][A-Za-z0-9_]*\\.[A-Za-z][A-Za-z0-9_]*$", var.metric_namespace)) &&
      length(var.metric_namespace) >= 3 && length(var.metric_namespace) <= 32 &&
      !can(regex("^(?i)(SYS|AGT|SRE)", var.metric_namespace)) && upper(var.metric_namespace) != "SERVICE.BMS"
    )
    error_message = "A Cloud Eye namespace is service.item, 3-32 letters, digits or _ (each part starting with a letter), not SYS*, AGT*, SRE* or SERVICE.BMS."
  }
}

variable "metric_name" {
  description = "METRIC_NAME: the Cloud Eye metric name."
  type        = string
  default     = "AuthorizationFailureCount"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", var.metric_name))
    error_message = "A metric name is 1-64 letters, digits or _, starting with a letter."
  }
}

variable "metric_endpoint" {
  description = "METRIC_ENDPOINT: Cloud Eye endpoint override."
  type        = string
  default     = null

  validation {
    condition     = var.metric_endpoint == null || can(regex("^https?://[^/?#\\s]+/?$", var.metric_endpoint))
    error_message = "The endpoint must be an http(s) base URL."
  }
}

variable "alarm_enabled" {
  description = "Create the Cloud Eye alarm on the metric (sum over 5 minutes >= alarm_threshold notifies the alert topic)."
  type        = bool
  default     = true
}

variable "alarm_threshold" {
  description = "Refused calls in 5 minutes that raise the alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_threshold >= 1
    error_message = "The threshold is at least 1."
  }
}

# config-compliance.

variable "notify_on" {
  description = "NOTIFY_ON: new compliance states that alert."
  type        = list(string)
  default     = ["NON_COMPLIANT"]

  validation {
    condition     = length(var.notify_on) > 0 && alltrue([for s in var.notify_on : contains(["NON_COMPLIANT", "COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA"], upper(s))])
    error_message = "NOTIFY_ON holds NON_COMPLIANT, COMPLIANT, NOT_APPLICABLE or INSUFFICIENT_DATA."
  }
}

variable "rule_include" {
  description = "RULE_INCLUDE: only these Config policy assignment names (exact or * patterns)."
  type        = list(string)
  default     = []
}

variable "rule_exclude" {
  description = "RULE_EXCLUDE: never these policy assignment names."
  type        = list(string)
  default     = []
}

variable "alert_on_put_evaluations" {
  description = "ALERT_ON_PUT_EVALUATIONS (AWS PutEvaluations calls; no effect on Huawei inputs)."
  type        = bool
  default     = false
}

variable "config_topic_urn" {
  description = "An SMN topic where Config (RMS) or a Cloud Eye event alarm sends compliance notifications: config-compliance gets an SMN trigger on it. Never the alert topic."
  type        = string
  default     = null

  validation {
    condition     = var.config_topic_urn == null || can(regex("^urn:smn:", var.config_topic_urn))
    error_message = "The topic URN starts with urn:smn:."
  }
}

# trail-integrity.

variable "delivery_gap" {
  description = "DELIVERY_GAP: quiet time before a delivery-gap alert: one duration (log files) or logs=30m,digests=2h; digests at least 1h. Unset: logs=30m,digests=2h."
  type        = string
  default     = null

  validation {
    condition = var.delivery_gap == null || try(alltrue([for part in split(",", var.delivery_gap) : (
      can(regex("^(?i)\\s*((logs|digests)\\s*=\\s*)?[0-9]{1,6}\\s*[smhd]?\\s*$", part)) && tonumber(regex("[0-9]+", part)) > 0
    )]), false)
    error_message = "DELIVERY_GAP is one duration like 30m or 2h (a bare number is minutes), or logs=30m,digests=2h."
  }

  validation {
    condition = var.delivery_gap == null || try(alltrue([for part in split(",", var.delivery_gap) : (
      !can(regex("^(?i)\\s*digests", part)) ||
      tonumber(regex("[0-9]+", part)) * lookup({ s = 1, m = 60, h = 3600, d = 86400 }, lower(regex("([smhdSMHD]?)\\s*$", part)[0]), 60) >= 3600
    )]), false)
    error_message = "DELIVERY_GAP: digests are delivered hourly; a digest gap under 1h would alert every hour."
  }
}

# Triggers.

variable "memory_flush" {
  description = "Add the timer trigger that flushes the alert-memory stage (every flush_schedule) to every function. trail-integrity always has it: its delivery-gap check runs on it."
  type        = bool
  default     = false
}

variable "flush_schedule" {
  description = "Rate of the flush timer: 1m to 60m."
  type        = string
  default     = "1m"

  validation {
    condition     = can(regex("^([1-9]|[1-5][0-9]|60)m$", var.flush_schedule))
    error_message = "The rate is 1m to 60m."
  }
}

variable "flush_user_event" {
  description = "The user_event the flush timer passes to the function."
  type        = string
  default     = "trailguard-memory-flush"
}

# Trace files in OBS, and the state store.

variable "trace_bucket" {
  description = "OBS bucket of CTS trace files, when a function reads them: login-whitelist, unauthorized-api and trail-integrity get read access to it."
  type        = string
  default     = null

  validation {
    condition     = var.trace_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.trace_bucket))
    error_message = "An OBS bucket name is 3-63 lower-case letters, digits, . or -."
  }
}

# trail-integrity reads CTS digests from trace_bucket as they arrive (docs/trail-integrity-obs.md): an OBS
# trigger on the bucket, object-created events, keys under obs_trigger_prefix ending in obs_trigger_suffix.

variable "obs_trigger" {
  description = "With trace_bucket: add the OBS trigger (object-created events) that hands trail-integrity each new CTS digest and trace file. OBS lets one function trigger per bucket event (OTC guide): set false when another function already has it."
  type        = bool
  default     = true
}

variable "obs_trigger_prefix" {
  description = "Key prefix of the OBS trigger. CTS writes under CloudTraces/<region>/<y>/<m>/<d>/<tracker>/ (digests in its Digest/ folder, which a prefix cannot select: the function tells digests by name). Null: the whole bucket."
  type        = string
  default     = "CloudTraces/"

  validation {
    condition     = var.obs_trigger_prefix == null || try(length(var.obs_trigger_prefix) <= 1024 && !startswith(var.obs_trigger_prefix, "/") && !can(regex("[\\s\\\\]", var.obs_trigger_prefix)), false)
    error_message = "obs_trigger_prefix is an object key prefix: no leading /, no spaces or backslashes, at most 1024 characters."
  }
}

variable "obs_trigger_suffix" {
  description = "Key suffix of the OBS trigger. CTS digests and gzip trace files end in .json.gz; a tracker that does not compress writes .json trace files (set .json or null for those: the digests stay .json.gz)."
  type        = string
  default     = ".json.gz"

  validation {
    condition     = var.obs_trigger_suffix == null || contains([".json.gz", ".json", ".gz"], coalesce(var.obs_trigger_suffix, "-"))
    error_message = "obs_trigger_suffix is .json.gz, .json, .gz or null (every object): CTS writes nothing else."
  }
}

variable "obs_endpoint" {
  description = "OBS_ENDPOINT: where trail-integrity reads digests and trace files, path-style. Unset: this cloud's regional OBS endpoint (see the module's main.tf; Huawei Cloud: the function's own virtual-hosted default)."
  type        = string
  default     = null

  validation {
    condition     = var.obs_endpoint == null || can(regex("^https?://[^/\\s]+(/\\S*)?$", var.obs_endpoint))
    error_message = "OBS_ENDPOINT is an http(s) URL of a host, e.g. https://obs.eu-de.otc.t-systems.com."
  }
}

variable "cts_public_key" {
  description = "CTS_PUBLIC_KEY: base64 DER of the CTS digest-signing RSA public key, for a cloud whose key differs from the one Huawei publishes. Unset: the published key."
  type        = string
  default     = null

  validation {
    condition     = var.cts_public_key == null || can(regex("^[A-Za-z0-9+/]{100,}={0,2}$", var.cts_public_key))
    error_message = "CTS_PUBLIC_KEY is the base64 DER (SubjectPublicKeyInfo) of an RSA key, without PEM header or line breaks."
  }
}

# --- Alert memory (README "Alert memory"): where state lives and how repeats are folded.

variable "state_store" {
  description = "STATE_STORE: memory, or redis://host:port / rediss://host:port (a DCS instance; the function then needs VPC access). Unset: memory across warm invocations only."
  type        = string
  default     = null

  validation {
    condition     = var.state_store == null || can(regex("^(memory|rediss?://[^\\s]+)$", var.state_store))
    error_message = "STATE_STORE on FunctionGraph is memory, redis://... or rediss://... (dynamodb:// is AWS only)."
  }
}

variable "state_password" {
  description = "STATE_PASSWORD: the DCS (Redis) password, if it is not in the URL."
  type        = string
  default     = null
  sensitive   = true
}

variable "state_timeout" {
  description = "STATE_TIMEOUT: how long one state-store call may take before the alert is sent without memory (fail open), e.g. 300ms."
  type        = string
  default     = null
}

variable "dedup_ttl" {
  description = "DEDUP_TTL: how long an event id is remembered (idempotency), e.g. 24h."
  type        = string
  default     = null

  validation {
    condition     = var.dedup_ttl == null || can(regex("^[0-9]+(ms|s|m|h|d)$", var.dedup_ttl))
    error_message = "DEDUP_TTL is a duration like 30s, 15m, 1h or 24h."
  }
}

variable "dedup_window" {
  description = "DEDUP_WINDOW: findings of one group key within this window are held for one roll-up; 0 turns it off, e.g. 15m."
  type        = string
  default     = null

  validation {
    condition     = var.dedup_window == null || can(regex("^(0|[0-9]+(ms|s|m|h|d))$", var.dedup_window))
    error_message = "DEDUP_WINDOW is 0 or a duration like 30s, 15m, 1h."
  }
}

variable "thresholds" {
  description = "THRESHOLDS: rule=N/period pairs, e.g. login-failed=5/10m,unauthorized-api-calls=20/1h."
  type        = string
  default     = null
}

variable "suppress" {
  description = "SUPPRESS: a JSON list of suppressions ({pattern, rules, reason, expires})."
  type        = string
  default     = null
}

variable "suppress_file" {
  description = "SUPPRESS_FILE: path of a JSON file of suppressions inside the function package."
  type        = string
  default     = null
}

# Alert context (README "Alert context: where from, which account"; docs/enrichment.md).

variable "geoip_db" {
  description = "GEOIP_DB: the country database (a MaxMind .mmdb path inside the package, e.g. a GeoLite2-Country file added with extra files), or off. Unset: the DB-IP Country Lite database shipped in the zip."
  type        = string
  default     = null

  validation {
    condition     = var.geoip_db == null || can(regex("^(off|[^\\s]+\\.mmdb)$", coalesce(var.geoip_db, "-")))
    error_message = "GEOIP_DB is a path to a .mmdb file, or off."
  }
}

variable "geoip_asn_db" {
  description = "GEOIP_ASN_DB: the AS-number database (a .mmdb path inside the package), or off. Unset: the ASN database shipped in the zip."
  type        = string
  default     = null

  validation {
    condition     = var.geoip_asn_db == null || can(regex("^(off|[^\\s]+\\.mmdb)$", coalesce(var.geoip_asn_db, "-")))
    error_message = "GEOIP_ASN_DB is a path to a .mmdb file, or off."
  }
}

variable "account_names" {
  description = "ACCOUNT_NAMES: a JSON object of account or domain id -> name shown in alerts, e.g. {\"0a1b2c\": \"prod\"}. Unset: the domain name in the trace."
  type        = string
  default     = null

  validation {
    condition     = var.account_names == null || can(tomap(jsondecode(var.account_names)))
    error_message = "ACCOUNT_NAMES is a JSON object of id -> name."
  }
}

variable "country_allowlist" {
  description = "COUNTRY_ALLOWLIST (login-whitelist): ISO 3166-1 alpha-2 codes a console login may come from; empty = no country rule."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for code in var.country_allowlist : can(regex("^[A-Z]{2}$", code))])
    error_message = "COUNTRY_ALLOWLIST holds two-letter ISO 3166-1 codes in capitals, like DE or FR."
  }
}
