locals {
  smn_cloud = "flexibleengine"
  topic_urn = var.existing_topic_urn != null ? var.existing_topic_urn : flexibleengine_smn_topic_v2.alerts[0].topic_urn

  # The DCS instance, when created here, is the state store unless state_store says otherwise (shared_locals.tf).
  # The port is the instance's (6379 unless customised); the attribute may be unknown until apply.
  dcs_address = var.dcs == null ? null : "redis://${flexibleengine_dcs_instance_v1.state[0].ip}:${coalesce(flexibleengine_dcs_instance_v1.state[0].port, 6379)}"

  # No CTS trigger on Flexible Engine: CTS key event notifications publish to an SMN topic, and these
  # functions get an SMN trigger on it (docs/deploy-functiongraph.md, "CTS key event notifications").
  cts_functions = toset([for fn in ["login-whitelist", "unauthorized-api", "trail-integrity"] : fn if contains(var.functions, fn)])

  # OBS_ENDPOINT unless obs_endpoint is set (UNVERIFIED: the regional endpoint name, docs/huawei-unverified.md).
  default_obs_endpoint = "https://oss.${var.region}.prod-cloud-ocb.orange-business.com"
}

resource "flexibleengine_smn_topic_v2" "alerts" {
  count = var.existing_topic_urn == null ? 1 : 0

  name         = var.alert_topic_name
  display_name = "trailguard alerts"
}

resource "flexibleengine_smn_subscription_v2" "alerts" {
  count = length(var.subscriptions)

  topic_urn = local.topic_urn
  protocol  = var.subscriptions[count.index].protocol
  endpoint  = var.subscriptions[count.index].endpoint
  remark    = "trailguard alerts"
}

resource "flexibleengine_identity_role_v3" "function" {
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

resource "flexibleengine_identity_role_v3" "trace_bucket_read" {
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

resource "flexibleengine_identity_agency_v3" "function" {
  for_each = var.functions

  name                   = "${var.name_prefix}-${each.key}"
  description            = "FunctionGraph agency of trailguard ${each.key}"
  delegated_service_name = "op_svc_cff"
  domain_roles           = contains(local.obs_functions, each.key) ? [flexibleengine_identity_role_v3.trace_bucket_read[0].name] : []

  project_role {
    project = var.region
    roles   = [flexibleengine_identity_role_v3.function[each.key].name]
  }
}

resource "flexibleengine_fgs_function" "function" {
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
  agency              = flexibleengine_identity_agency_v3.function[each.key].name
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

resource "flexibleengine_smn_topic_v2" "cts_events" {
  count = length(local.cts_functions) > 0 ? 1 : 0

  name         = var.cts_events_topic_name
  display_name = "CTS key events for trailguard"
}

# Each key event notification arrives as an SMN trigger event whose message holds the trace.
resource "flexibleengine_fgs_trigger" "cts_events" {
  for_each = local.cts_functions

  function_urn = flexibleengine_fgs_function.function[each.key].urn
  type         = "SMN"

  smn {
    topic_urn = flexibleengine_smn_topic_v2.cts_events[0].topic_urn
  }
}

# Config (RMS) or Cloud Eye event-alarm notifications reach config-compliance through an SMN trigger.
resource "flexibleengine_fgs_trigger" "config_notifications" {
  count = var.config_topic_urn != null && contains(var.functions, "config-compliance") ? 1 : 0

  function_urn = flexibleengine_fgs_function.function["config-compliance"].urn
  type         = "SMN"

  smn {
    topic_urn = var.config_topic_urn
  }
}

# OBS trigger: each new object under obs_trigger_prefix in trace_bucket invokes trail-integrity with an
# S3-shaped event; a CTS digest is verified on arrival, a trace file read (docs/trail-integrity-obs.md).
# The provider's obs block: events ObjectCreated (all of Put, Post, Copy, CompleteMultipartUpload).
resource "flexibleengine_fgs_trigger" "trace_bucket" {
  count = local.obs_trigger ? 1 : 0

  function_urn = flexibleengine_fgs_function.function["trail-integrity"].urn
  type         = "OBS"
  status       = "ACTIVE"

  obs {
    bucket_name             = var.trace_bucket
    event_notification_name = replace("${var.name_prefix}_trail_integrity_digests", "-", "_")
    events                  = ["ObjectCreated"]
    prefix                  = var.obs_trigger_prefix
    suffix                  = var.obs_trigger_suffix
  }
}

# The alert-memory stage flushes what it holds back on a timer; trail-integrity checks delivery gaps on it.
resource "flexibleengine_fgs_trigger" "flush" {
  for_each = local.flush_functions

  function_urn = flexibleengine_fgs_function.function[each.key].urn
  type         = "TIMER"

  timer {
    name                   = replace("${var.name_prefix}_${each.key}_flush", "-", "_")
    schedule_type          = "Rate"
    schedule               = var.flush_schedule
    additional_information = var.flush_user_event
  }
}

resource "flexibleengine_ces_alarmrule" "authorization_failures" {
  count = var.alarm_enabled && var.metric_mode == "api" && contains(var.functions, "unauthorized-api") ? 1 : 0

  alarm_name        = "${var.name_prefix}-authorization-failures"
  alarm_description = "Refused API calls seen by trailguard unauthorized-api"
  alarm_level       = 2

  metric {
    namespace   = var.metric_namespace
    metric_name = var.metric_name

    dimensions {
      name  = "function"
      value = "unauthorized-api"
    }
  }

  condition {
    period              = 300
    filter              = "sum"
    comparison_operator = ">="
    value               = var.alarm_threshold
    unit                = "count"
    count               = 1
  }

  alarm_actions {
    type              = "notification"
    notification_list = [local.topic_urn]
  }
}

resource "flexibleengine_dcs_instance_v1" "state" {
  count = var.dcs == null ? 0 : 1

  name            = "${var.name_prefix}-state"
  engine          = "Redis"
  engine_version  = var.dcs.engine_version
  capacity        = var.dcs.capacity
  product_id      = var.dcs.product_id
  password        = var.dcs.password
  vpc_id          = var.dcs.vpc_id
  network_id      = var.dcs.subnet_id
  available_zones = var.dcs.availability_zones
}
