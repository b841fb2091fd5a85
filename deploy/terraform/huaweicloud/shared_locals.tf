# GENERATED from deploy/terraform/_shared/locals.tf by `node scripts/terraform-sync.mjs`: edit that file, then run it.

locals {
  package_dir = coalesce(var.package_dir, "${path.module}/../../../dist/functiongraph")

  # STATE_STORE / STATE_PASSWORD: what the user set, else the DCS instance created here (local.dcs_address).
  state_store    = var.state_store != null ? var.state_store : local.dcs_address
  state_password = var.state_password != null ? var.state_password : (var.dcs == null || var.state_store != null ? null : var.dcs.password)

  # Variables every function reads (README, "Variables every function reads"); unset ones are left out.
  common_environment = {
    ALERT_TOPIC         = local.topic_urn
    ALERT_REGION        = var.region
    SMN_CLOUD           = local.smn_cloud
    SINK_ENDPOINT       = var.sink_endpoint
    PROJECT_ID          = var.project_id
    LOG_LEVEL           = var.log_level
    MAX_DECOMPRESSED_MB = var.max_decompressed_mb == null ? null : tostring(var.max_decompressed_mb)
    STATE_STORE         = local.state_store
    STATE_PASSWORD      = local.state_password
    STATE_TIMEOUT       = var.state_timeout
    DEDUP_TTL           = var.dedup_ttl
    DEDUP_WINDOW        = var.dedup_window
    THRESHOLDS          = var.thresholds
    SUPPRESS            = var.suppress
    SUPPRESS_FILE       = var.suppress_file
    ALERT_FORMAT        = var.alert_format
    ROUTES              = var.routes
    WEBHOOK_URL         = var.webhook_url
    WEBHOOK_FORMAT      = var.webhook_format
    GEOIP_DB            = var.geoip_db
    GEOIP_ASN_DB        = var.geoip_asn_db
    ACCOUNT_NAMES       = var.account_names
  }

  function_environment = {
    "login-whitelist" = {
      IP_WHITELIST          = join(", ", var.ip_whitelist)
      ALERT_ON_FAILED_LOGIN = tostring(var.alert_on_failed_login)
      NON_IP_SOURCE         = var.non_ip_source
      COUNTRY_ALLOWLIST     = length(var.country_allowlist) > 0 ? join(",", var.country_allowlist) : null
    }
    "unauthorized-api" = {
      RULE_SETS        = join(",", var.rule_sets)
      CUSTOM_RULES     = var.custom_rules
      FILTER_PATTERN   = var.filter_pattern
      FILTER_RULE_NAME = var.filter_rule_name
      FILTER_SEVERITY  = var.filter_severity
      CTS_RULE         = tostring(var.cts_rule)
      METRIC_MODE      = var.metric_mode
      METRIC_NAMESPACE = var.metric_namespace
      METRIC_NAME      = var.metric_name
      METRIC_ENDPOINT  = var.metric_endpoint
    }
    "config-compliance" = {
      NOTIFY_ON                = join(",", var.notify_on)
      RULE_INCLUDE             = length(var.rule_include) > 0 ? join(",", var.rule_include) : null
      RULE_EXCLUDE             = length(var.rule_exclude) > 0 ? join(",", var.rule_exclude) : null
      ALERT_ON_PUT_EVALUATIONS = tostring(var.alert_on_put_evaluations)
      HUAWEI_CONSOLE_URL       = var.huawei_console_url
    }
    # TRAIL_BUCKETS and TRAIL_KMS_KEYS name S3 buckets and KMS keys: AWS only.
    "trail-integrity" = {
      DELIVERY_GAP   = var.delivery_gap
      OBS_ENDPOINT   = var.obs_endpoint != null ? var.obs_endpoint : (var.trace_bucket == null ? null : local.default_obs_endpoint)
      CTS_PUBLIC_KEY = var.cts_public_key
    }
  }

  # Least privilege per function: publish to SMN; unauthorized-api also writes its Cloud Eye metric.
  project_actions = {
    "login-whitelist"   = ["smn:topic:publish"]
    "unauthorized-api"  = ["smn:topic:publish", "ces:metricData:create"]
    "config-compliance" = ["smn:topic:publish"]
    "trail-integrity"   = ["smn:topic:publish"]
  }
  # FunctionGraph's VPC access (for the DCS state store) needs the agency to manage the function's ports.
  vpc_actions       = ["vpc:vpcs:get", "vpc:subnets:get", "vpc:ports:get", "vpc:ports:create", "vpc:ports:delete"]
  reads_trace_files = ["login-whitelist", "unauthorized-api", "trail-integrity"]
  obs_functions     = var.trace_bucket == null ? [] : [for fn in local.reads_trace_files : fn if contains(var.functions, fn)]

  # The OBS trigger: trail-integrity, with trace_bucket (digests verified on arrival, trace files read).
  obs_trigger = var.trace_bucket != null && var.obs_trigger && contains(var.functions, "trail-integrity")

  # trail-integrity always gets the timer: its delivery-gap check runs on it.
  flush_functions = var.memory_flush ? var.functions : setintersection(var.functions, ["trail-integrity"])
}
