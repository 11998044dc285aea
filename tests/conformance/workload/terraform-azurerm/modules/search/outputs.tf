output "id" {
  value = azurerm_search_service.this.id
}
