from django.contrib import admin

from watchkeeper.incidents.models import Category, PriorityRule, Tag


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "default_group", "is_active")
    list_filter = ("is_active", "parent")
    search_fields = ("name",)


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
