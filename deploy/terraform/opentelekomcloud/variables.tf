# What differs per cloud. The variables every module shares are in shared_variables.tf, generated from
# deploy/terraform/_shared/variables.tf (node scripts/terraform-sync.mjs).

# Deployment settings.

variable "region" {
  description = "Region of the functions, the topic and the Cloud Eye metric: eu-de or eu-nl."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z0-9]+){1,4}$", var.region))
    error_message = "The region must be a region name like eu-de or eu-nl (eu-ch2: set sink_endpoint and metric_endpoint)."
  }
}

# config-compliance.

variable "huawei_console_url" {
  description = "HUAWEI_CONSOLE_URL: https origin for console links in alerts."
  type        = string
  default     = "https://console.otc.t-systems.com"

  validation {
    condition     = can(regex("^https://[A-Za-z0-9.-]+(:[0-9]+)?$", var.huawei_console_url))
    error_message = "The console URL is an https origin without a path."
  }
}

# Triggers.

variable "login_operations" {
  description = "CTS trigger operations of login-whitelist, \"service:resource types:trace names\" (;-separated)."
  type        = list(string)
  default     = ["IAM:user:login;logout"]

  validation {
    condition     = alltrue([for o in var.login_operations : can(regex("^[A-Za-z0-9_]+:[A-Za-z0-9_;-]+:[A-Za-z0-9_;-]+$", o))])
    error_message = "An operation is service:resource types:trace names, e.g. IAM:user:login;logout."
  }
}

variable "unauthorized_api_operations" {
  description = "CTS trigger operations of unauthorized-api (at most 10 services, 10 operations each)."
  type        = list(string)
  default     = ["IAM:user;credential;agency:createUser;deleteUser;createCredential;deleteCredential;createAgency;deleteAgency;updateUserPwd"]

  validation {
    condition     = length(var.unauthorized_api_operations) <= 10 && alltrue([for o in var.unauthorized_api_operations : can(regex("^[A-Za-z0-9_]+:[A-Za-z0-9_;-]+:[A-Za-z0-9_;-]+$", o))])
    error_message = "At most 10 operations entries, each service:resource types:trace names."
  }
}

variable "trail_integrity_operations" {
  description = "CTS trigger operations of trail-integrity: the CTS calls that delete, weaken or silence a tracker or a key event notification."
  type        = list(string)
  default     = ["CTS:tracker;notification:deleteTracker;updateTracker;deleteNotification;updateNotification;updateNotificationStatus"]

  validation {
    condition     = length(var.trail_integrity_operations) <= 10 && alltrue([for o in var.trail_integrity_operations : can(regex("^[A-Za-z0-9_]+:[A-Za-z0-9_;-]+:[A-Za-z0-9_;-]+$", o))])
    error_message = "At most 10 operations entries, each service:resource types:trace names."
  }
}

variable "key_events" {
  description = "Second path for unauthorized-api: a CTS key event notification on every operation whose code is one of codes, published to an SMN topic of its own that triggers the function. Catches refusals of operations the CTS trigger does not list."
  type = object({
    topic_name = optional(string, "trailguard-cts-events")
    codes      = optional(list(string), ["401", "403"])
  })
  default = null

  validation {
    condition     = var.key_events == null || try(alltrue([for c in var.key_events.codes : can(regex("^[0-9A-Za-z._-]{1,256}$", c))]) && length(var.key_events.codes) > 0, false)
    error_message = "codes lists the response codes to notify on, e.g. [\"401\", \"403\"]."
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
    flavor             = optional(string, "redis.ha.xu1.large.r2.1")
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
