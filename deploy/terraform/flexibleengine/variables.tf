# What differs per cloud. The variables every module shares are in shared_variables.tf, generated from
# deploy/terraform/_shared/variables.tf (node scripts/terraform-sync.mjs).

# Deployment settings.

variable "region" {
  description = "Region of the functions, the topic and the Cloud Eye metric, e.g. eu-west-0."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z0-9]+){1,4}$", var.region))
    error_message = "The region must be a region name like eu-west-0."
  }
}

# config-compliance.

variable "huawei_console_url" {
  description = "HUAWEI_CONSOLE_URL: https origin for console links in alerts."
  type        = string
  default     = "https://console.prod-cloud-ocb.orange-business.com"

  validation {
    condition     = can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?$", var.huawei_console_url))
    error_message = "The console URL is an https origin without a path."
  }
}

# Triggers.

variable "cts_events_topic_name" {
  description = "SMN topic that CTS key event notifications publish traces to (Flexible Engine has no CTS trigger): login-whitelist, unauthorized-api and trail-integrity get an SMN trigger on it."
  type        = string
  default     = "trailguard-cts-events"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$", var.cts_events_topic_name))
    error_message = "An SMN topic name is 1-255 letters, digits, - or _, starting with a letter or digit."
  }
}

# Trace files in OBS, and the state store.

variable "dcs" {
  description = "Create a DCS (Redis) instance for the alert-memory state store, in this VPC and subnet; the functions get VPC access to it, and STATE_STORE / STATE_PASSWORD point at it unless state_store / state_password are set."
  type = object({
    vpc_id             = string
    subnet_id          = string
    password           = string
    availability_zones = list(string)
    product_id         = string
    capacity           = optional(number, 1)
    engine_version     = optional(string, "5.0")
  })
  default   = null
  sensitive = true

  validation {
    condition     = var.dcs == null || (length(try(var.dcs.password, "")) >= 8 && length(try(var.dcs.password, "")) <= 32)
    error_message = "The DCS password is 8-32 characters with three of: lower case, upper case, digits, special characters."
  }
}
