locals {
  smn_cloud = "huaweicloud"
  topic_urn = var.existing_topic_urn != null ? var.existing_topic_urn : huaweicloud_smn_topic.alerts[0].id

  # The DCS instance, when created here, is the state store unless state_store says otherwise (shared_locals.tf).
  # The port is the instance's (6379 unless customised); the attribute may be unknown until apply.
  dcs_address = var.dcs == null ? null : "redis://${huaweicloud_dcs_instance.state[0].domain_name}:${coalesce(huaweicloud_dcs_instance.state[0].port, 6379)}"

  cts_operations = {
    "login-whitelist"  = var.login_operations
    "unauthorized-api" = var.unauthorized_api_operations
    "trail-integrity"  = var.trail_integrity_operations
  }
  cts_functions = { for fn, ops in local.cts_operations : fn => ops if contains(var.functions, fn) && length(ops) > 0 }
  key_events    = var.key_events != null && contains(var.functions, "unauthorized-api")

  # OBS_ENDPOINT unless obs_endpoint is set: none, the function reads https://<bucket>.obs.<region>.myhuaweicloud.com.
  default_obs_endpoint = null
}

resource "huaweicloud_smn_topic" "alerts" {
  count = var.existing_topic_urn == null ? 1 : 0

  name         = var.alert_topic_name
  display_name = "trailguard alerts"
}

resource "huaweicloud_smn_subscription" "alerts" {
  count = length(var.subscriptions)

  topic_urn = local.topic_urn
  protocol  = var.subscriptions[count.index].protocol
  endpoint  = var.subscriptions[count.index].endpoint
  remark    = "trailguard alerts"
}

resource "huaweicloud_identity_role" "function" {
  for_each = var.functions

  name        = "${var.name_prefix}-${each.key}"
  description = "trailguard ${each.key}: what the function calls, nothing more"
  type        = "XA"

  policy = jsonencode({
    Version = "1.1"
    Statement = [{
      Effect = "Allow"
      Action = concat(local.project_actions[each.key], var.dcs == null ? [] : local.vpc_actions)
    }]
  })
}

resource "huaweicloud_identity_role" "trace_bucket_read" {
  count = length(local.obs_functions) > 0 ? 1 : 0

  name        = "${var.name_prefix}-trace-bucket-read"
  description = "trailguard: read the CTS trace files of one bucket"
  type        = "AX"

  policy = jsonencode({
    Version = "1.1"
    Statement = [{
      Effect   = "Allow"
      Action   = ["obs:object:GetObject", "obs:bucket:ListBucket"]
      Resource = ["OBS:*:*:bucket:${var.trace_bucket}", "OBS:*:*:object:${var.trace_bucket}/*"]
    }]
  })
}

resource "huaweicloud_identity_agency" "function" {
  for_each = var.functions

  name                   = "${var.name_prefix}-${each.key}"
  description            = "FunctionGraph agency of trailguard ${each.key}"
  delegated_service_name = "op_svc_cff"
  domain_roles           = contains(local.obs_functions, each.key) ? [huaweicloud_identity_role.trace_bucket_read[0].name] : []

  project_role {
    project = var.region
    roles   = [huaweicloud_identity_role.function[each.key].name]
  }
}

resource "huaweicloud_fgs_function" "function" {
  for_each = var.functions

  name                = "${var.name_prefix}-${each.key}"
  app                 = "default"
  description         = "trailguard ${each.key}"
  runtime             = var.runtime
  handler             = "index.handler"
  initializer_handler = "index.initializer"
  initializer_timeout = 30
  memory_size         = var.memory_size
  timeout             = var.timeout
  code_type           = "zip"
  code_filename       = "${each.key}.zip"
  func_code           = filebase64("${local.package_dir}/${each.key}.zip")
  agency              = huaweicloud_identity_agency.function[each.key].name
  vpc_id              = var.dcs == null ? null : var.dcs.vpc_id
  network_id          = var.dcs == null ? null : var.dcs.subnet_id

  user_data = jsonencode({
    for k, v in merge(local.common_environment, local.function_environment[each.key], var.extra_environment) : k => v if v != null
  })

  lifecycle {
    # The function refuses to start without a whitelist; say so at plan time instead.
    precondition {
      condition     = each.key != "login-whitelist" || length(var.ip_whitelist) > 0
      error_message = "login-whitelist needs ip_whitelist: at least one address or CIDR range."
    }
  }
}

# CTS trigger: the function is invoked with {"cts": <trace>} for each listed operation.
resource "huaweicloud_fgs_function_trigger" "cts" {
  for_each = local.cts_functions

  function_urn = huaweicloud_fgs_function.function[each.key].urn
  type         = "CTS"

  event_data = jsonencode({
    name       = replace("${var.name_prefix}_${each.key}", "-", "_")
    operations = each.value
  })
}

# Second path: a CTS key event notification (every operation, filtered on the refusal codes) publishes
# the trace to a topic of its own, whose SMN trigger invokes unauthorized-api. Never the alert topic.
resource "huaweicloud_smn_topic" "cts_events" {
  count = local.key_events ? 1 : 0

  name         = var.key_events.topic_name
  display_name = "CTS key events for trailguard"
}

resource "huaweicloud_cts_notification" "refusals" {
  count = local.key_events ? 1 : 0

  name           = replace("${var.name_prefix}_refusals", "-", "_")
  operation_type = "complete"
  smn_topic      = huaweicloud_smn_topic.cts_events[0].id

  filter {
    condition = "OR"
    rule      = [for c in var.key_events.codes : "code = ${c}"]
  }
}

resource "huaweicloud_fgs_trigger" "cts_events" {
  count = local.key_events ? 1 : 0

  function_urn = huaweicloud_fgs_function.function["unauthorized-api"].urn
  type         = "SMN"

  smn {
    topic_urn = huaweicloud_smn_topic.cts_events[0].id
  }
}

# Config (RMS) or Cloud Eye event-alarm notifications reach config-compliance through an SMN trigger.
resource "huaweicloud_fgs_trigger" "config_notifications" {
  count = var.config_topic_urn != null && contains(var.functions, "config-compliance") ? 1 : 0

  function_urn = huaweicloud_fgs_function.function["config-compliance"].urn
  type         = "SMN"

  smn {
    topic_urn = var.config_topic_urn
  }
}

# OBS trigger: each new object under obs_trigger_prefix in trace_bucket invokes trail-integrity with an
# S3-shaped event; a CTS digest is verified on arrival, a trace file read (docs/trail-integrity-obs.md).
resource "huaweicloud_fgs_function_trigger" "trace_bucket" {
  count = local.obs_trigger ? 1 : 0

  function_urn = huaweicloud_fgs_function.function["trail-integrity"].urn
  type         = "OBS"

  event_data = jsonencode({
    for k, v in {
      bucket = var.trace_bucket
      events = ["s3:ObjectCreated:*"]
      prefix = var.obs_trigger_prefix
      suffix = var.obs_trigger_suffix
    } : k => v if v != null
  })
}

# The alert-memory stage flushes what it holds back on a timer; trail-integrity checks delivery gaps on it.
resource "huaweicloud_fgs_function_trigger" "flush" {
  for_each = local.flush_functions

  function_urn = huaweicloud_fgs_function.function[each.key].urn
  type         = "TIMER"

  event_data = jsonencode({
    name          = replace("${var.name_prefix}_${each.key}_flush", "-", "_")
    schedule_type = "Rate"
    schedule      = var.flush_schedule
    user_event    = var.flush_user_event
  })
}

resource "huaweicloud_ces_alarmrule" "authorization_failures" {
  count = var.alarm_enabled && var.metric_mode == "api" && contains(var.functions, "unauthorized-api") ? 1 : 0

  alarm_name        = "${var.name_prefix}-authorization-failures"
  alarm_description = "Refused API calls seen by trailguard unauthorized-api"
  alarm_type        = "MULTI_INSTANCE"

  metric {
    namespace = var.metric_namespace
  }

  resources {
    dimensions {
      name  = "function"
      value = "unauthorized-api"
    }
  }

  condition {
    metric_name         = var.metric_name
    period              = 300
    filter              = "sum"
    comparison_operator = ">="
    value               = var.alarm_threshold
    unit                = "count"
    count               = 1
    suppress_duration   = 300
    alarm_level         = 2
  }

  alarm_actions {
    type              = "notification"
    notification_list = [local.topic_urn]
  }
}

resource "huaweicloud_dcs_instance" "state" {
  count = var.dcs == null ? 0 : 1

  name               = "${var.name_prefix}-state"
  engine             = "Redis"
  engine_version     = var.dcs.engine_version
  capacity           = var.dcs.capacity
  flavor             = var.dcs.flavor
  password           = var.dcs.password
  vpc_id             = var.dcs.vpc_id
  subnet_id          = var.dcs.subnet_id
  availability_zones = var.dcs.availability_zones
}
