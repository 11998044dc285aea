variable "location" {
  type        = string
  description = "Region of every resource."
}

variable "resource_group_name" {
  type        = string
  description = "Resource group the platform team created for the workload."
}

variable "workload_name" {
  type        = string
  default     = "contoso-chat"
  description = "Suffix of every resource name."
}

variable "tenant_id" {
  type        = string
  description = "Entra ID tenant of the Key Vault."
}

variable "private_endpoint_subnet_id" {
  type        = string
  description = "Subnet of the spoke network (owned by the platform team) that hosts private endpoints."
}

variable "application_insights_id" {
  type        = string
  description = "Application Insights component the ML workspace reports to."
}

variable "embedding_model" {
  type = object({
    name     = string
    version  = string
    capacity = number
  })
  default = {
    name     = "text-embedding-3-large"
    version  = "1"
    capacity = 120
  }
}
