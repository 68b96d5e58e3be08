-- 二寸照片 are photographs two inches (cun) in size, the size ID documents
-- take; the catalogue's English said "three photographs". The items keep
-- their Chinese; a new version tells readers of the catalogue it changed.
UPDATE service_item
   SET required_materials = array_replace(required_materials, '二寸照片 three photographs',
                                          '二寸照片 two-inch photographs'),
       version = version + 1, updated_at = now()
 WHERE '二寸照片 three photographs' = ANY (required_materials);
