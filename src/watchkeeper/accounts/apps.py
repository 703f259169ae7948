from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "watchkeeper.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"
