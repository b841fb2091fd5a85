# trailguard on Open Telekom Cloud FunctionGraph. One module per cloud: the three providers name their
# resources and arguments differently, and one module with a switch would make every user configure
# (and authenticate) all three providers. See docs/deploy-functiongraph.md.
terraform {
  required_version = ">= 1.3.0"

  required_providers {
    opentelekomcloud = {
      source  = "opentelekomcloud/opentelekomcloud"
      version = ">= 1.36.0"
    }
  }
}
