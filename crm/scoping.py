"""Row-level scope by role: the base of every `visible_to(user)` manager method."""

from django.db import models

from crm.roles import Role, role_of


class OwnedQuerySet(models.QuerySet):
    """Records with an `owner` and a `department`.

    A sales manager sees their own records, a department head their department's, a
    company manager and a superuser everything; anyone else nothing.
    """

    owner_field = "owner"
    department_field = "department"

    def visible_to(self, user):
        role = role_of(user)
        if role is None:
            return self.none()
        if role is Role.COMPANY_MANAGER:
            return self
        if role is Role.DEPARTMENT_HEAD:
            if user.department_id is None:
                return self.none()
            return self.filter(**{f"{self.department_field}_id": user.department_id})
        return self.filter(**{f"{self.owner_field}_id": user.pk})

    def editable_by(self, user):
        """What the user may change: company managers read only, superusers everything."""
        if user.is_superuser:
            return self
        if role_of(user) is Role.COMPANY_MANAGER:
            return self.none()
        return self.visible_to(user)


class AuthoredQuerySet(OwnedQuerySet):
    """Messages and signatures: a sales manager's own; heads their department's; managers all."""

    department_field = "owner__department"


class DepartmentFromOwner(models.Model):
    """A model with `owner` and `department`: unless set, the department (the scope its
    department head sees) is the owner's, taken when the row is saved."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.department_id is None and self.owner_id is not None:
            self.department_id = self.owner.department_id
        super().save(*args, **kwargs)
